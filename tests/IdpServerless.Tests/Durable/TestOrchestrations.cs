using System.Collections.Concurrent;
using IdpServerless.Durable;

namespace IdpServerless.Tests.Durable;

/// <summary>Orchestrators and activities the engine tests run (registered only in the tests' own hosts).</summary>
public static class TestOrchestrations
{
    public static IDurableBuilder AddTestFunctions(this IDurableBuilder d) => d
        .AddActivity<Greet>(nameof(Greet))
        .AddActivity<Square>(nameof(Square))
        .AddActivity<Flaky>(nameof(Flaky))
        .AddActivity<Failing>(nameof(Failing))
        .AddActivity<Commit>(nameof(Commit))
        .AddActivity<Notify>(nameof(Notify))
        .AddOrchestrator<Chain>(nameof(Chain))
        .AddOrchestrator<FanOut>(nameof(FanOut))
        .AddOrchestrator<Retrying>(nameof(Retrying))
        .AddOrchestrator<RetryingOnlyTransient>(nameof(RetryingOnlyTransient))
        .AddOrchestrator<Sleeper>(nameof(Sleeper))
        .AddOrchestrator<TwoEvents>(nameof(TwoEvents))
        .AddOrchestrator<EventWithTimeout>(nameof(EventWithTimeout))
        .AddOrchestrator<FailingChild>(nameof(FailingChild))
        .AddOrchestrator<CatchingParent>(nameof(CatchingParent))
        .AddOrchestrator<UncaughtParent>(nameof(UncaughtParent))
        .AddOrchestrator<WaitForGo>(nameof(WaitForGo))
        .AddOrchestrator<Counter>(nameof(Counter))
        .AddOrchestrator<Drifting>(nameof(Drifting))
        .AddOrchestrator<Guids>(nameof(Guids));

    public sealed class Greet : Activity<string, string>
    {
        public override Task<string> RunAsync(ActivityContext context, string input) => Task.FromResult("Hello " + input);
    }

    public sealed class Square : Activity<int, int>
    {
        public override Task<int> RunAsync(ActivityContext context, int input) => Task.FromResult(input * input);
    }

    public sealed record FlakyInput(string Key, int FailTimes);

    /// <summary>Fails its first <c>FailTimes</c> executions (counted per key), recording each attempt.</summary>
    public sealed class Flaky : Activity<FlakyInput, int>
    {
        public static readonly ConcurrentDictionary<string, ConcurrentQueue<(int Attempt, string IdempotencyKey)>> Calls = new();

        public override Task<int> RunAsync(ActivityContext context, FlakyInput input)
        {
            var calls = Calls.GetOrAdd(input.Key, _ => new ConcurrentQueue<(int, string)>());
            calls.Enqueue((context.Attempt, context.IdempotencyKey));
            return calls.Count <= input.FailTimes
                ? throw new InvalidOperationException($"transient failure {calls.Count}")
                : Task.FromResult(calls.Count);
        }
    }

    /// <summary>Throws ArgumentException for "argument", InvalidOperationException("boom") otherwise.</summary>
    public sealed class Failing : Activity<string, string>
    {
        public static readonly ConcurrentDictionary<string, int> Calls = new();

        public override Task<string> RunAsync(ActivityContext context, string input)
        {
            Calls.AddOrUpdate(context.InstanceId, 1, (_, n) => n + 1);
            throw input == "argument" ? new ArgumentException("bad argument") : new InvalidOperationException("boom");
        }
    }

    /// <summary>Its completion flips <see cref="Drifting"/>'s code path for the instance: the next replay diverges.</summary>
    public sealed class Commit : Activity<string?, string>
    {
        public override Task<string> RunAsync(ActivityContext context, string? input)
        {
            Drifting.Changed[context.InstanceId] = true;
            return Task.FromResult("committed");
        }
    }

    public sealed class Notify : Activity<string?, string>
    {
        public override Task<string> RunAsync(ActivityContext context, string? input) => Task.FromResult("notified");
    }

    public sealed class Chain : Orchestrator<string[], string[]>
    {
        public override async Task<string[]> RunAsync(OrchestrationContext context, string[] input)
        {
            var results = new List<string>();
            foreach (var name in input)
            {
                results.Add(await context.CallActivityAsync<string>(nameof(Greet), name));
            }

            return [.. results];
        }
    }

    public sealed class FanOut : Orchestrator<int, int>
    {
        public override async Task<int> RunAsync(OrchestrationContext context, int input)
        {
            var squares = await Task.WhenAll(Enumerable.Range(1, input).Select(i => context.CallActivityAsync<int>(nameof(Square), i)));
            return squares.Sum();
        }
    }

    public sealed class Retrying : Orchestrator<FlakyInput, int>
    {
        public static readonly RetryPolicy Policy = new(MaxAttempts: 4, FirstRetryInterval: TimeSpan.FromSeconds(1), BackoffCoefficient: 2);

        public override Task<int> RunAsync(OrchestrationContext context, FlakyInput input) =>
            context.CallActivityAsync<int>(nameof(Flaky), input, new TaskOptions(Policy));
    }

    public sealed class RetryingOnlyTransient : Orchestrator<string, string>
    {
        public override Task<string> RunAsync(OrchestrationContext context, string input) =>
            context.CallActivityAsync<string>(nameof(Failing), input, new TaskOptions(new RetryPolicy(
                3, TimeSpan.FromMilliseconds(200), Handle: f => !f.IsCausedBy<ArgumentException>())));
    }

    public sealed class Sleeper : Orchestrator<double, DateTimeOffset>
    {
        public override async Task<DateTimeOffset> RunAsync(OrchestrationContext context, double input)
        {
            await context.CreateTimer(context.CurrentUtcDateTime.AddSeconds(input));
            return context.CurrentUtcDateTime;
        }
    }

    public sealed class TwoEvents : Orchestrator<double, string>
    {
        public override async Task<string> RunAsync(OrchestrationContext context, double input)
        {
            await context.CreateTimer(context.CurrentUtcDateTime.AddSeconds(input));
            var first = await context.WaitForExternalEvent<string>("first");
            context.SetCustomStatus("waiting-second");
            var second = await context.WaitForExternalEvent<string>("second");
            return first + "," + second;
        }
    }

    public sealed class EventWithTimeout : Orchestrator<double, string>
    {
        public override async Task<string> RunAsync(OrchestrationContext context, double input)
        {
            try
            {
                return await context.WaitForExternalEvent<string>("never", TimeSpan.FromSeconds(input));
            }
            catch (TimeoutException)
            {
                return "timed out";
            }
        }
    }

    public sealed class FailingChild : Orchestrator<string?, string>
    {
        public override Task<string> RunAsync(OrchestrationContext context, string? input) =>
            context.CallActivityAsync<string>(nameof(Failing), "boom");
    }

    public sealed class CatchingParent : Orchestrator<string?, string>
    {
        public override async Task<string> RunAsync(OrchestrationContext context, string? input)
        {
            try
            {
                return await context.CallSubOrchestratorAsync<string>(nameof(FailingChild));
            }
            catch (TaskFailedException e)
            {
                return string.Join("|", e.TaskName, e.FailureDetails.ErrorType, e.FailureDetails.Inner?.ErrorType, e.FailureDetails.Inner?.Message,
                    e.FailureDetails.IsCausedBy<TaskFailedException>());
            }
        }
    }

    public sealed class UncaughtParent : Orchestrator<string?, string>
    {
        public override Task<string> RunAsync(OrchestrationContext context, string? input) =>
            context.CallSubOrchestratorAsync<string>(nameof(FailingChild), null, context.InstanceId + "-child");
    }

    public sealed class WaitForGo : Orchestrator<string?, string>
    {
        public override async Task<string> RunAsync(OrchestrationContext context, string? input)
        {
            context.SetCustomStatus("waiting");
            var value = await context.WaitForExternalEvent<string>("go");
            return "went " + value;
        }
    }

    public sealed class Counter : Orchestrator<int, int>
    {
        public override async Task<int> RunAsync(OrchestrationContext context, int input)
        {
            await context.CallActivityAsync<int>(nameof(Square), input);
            if (input < 3)
            {
                context.ContinueAsNew(input + 1);
            }

            return input;
        }
    }

    /// <summary>Schedules Commit first; once Commit has run, its code would schedule Notify there instead (a bad deploy).</summary>
    public sealed class Drifting : Orchestrator<string?, string>
    {
        public static readonly ConcurrentDictionary<string, bool> Changed = new();

        public override async Task<string> RunAsync(OrchestrationContext context, string? input)
        {
            await context.CallActivityAsync<string>(nameof(Greet), "first");
            await context.CallActivityAsync<string>(nameof(Greet), "second");
            var step = Changed.ContainsKey(context.InstanceId) ? nameof(Notify) : nameof(Commit);
            await context.CallActivityAsync<string>(step);
            return await context.CallActivityAsync<string>(nameof(Greet), "done");
        }
    }

    public sealed class Guids : Orchestrator<string?, Guid[]>
    {
        public override async Task<Guid[]> RunAsync(OrchestrationContext context, string? input)
        {
            var first = context.NewGuid();
            context.SetCustomStatus(first);
            await context.CallActivityAsync<string>(nameof(Greet), "x");
            return [first, context.NewGuid()];
        }
    }
}
