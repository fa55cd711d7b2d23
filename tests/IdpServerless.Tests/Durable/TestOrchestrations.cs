using System.Collections.Concurrent;
using IdpServerless.Hosting.Durable;
using Microsoft.DurableTask;

namespace IdpServerless.Tests.Durable;

/// <summary>Orchestrators and activities the engine tests run (registered only in the tests' own hosts).</summary>
public static class TestOrchestrations
{
    public static DurableTasksBuilder AddTestFunctions(this DurableTasksBuilder d) => d
        .AddActivity<Greet>(nameof(Greet))
        .AddActivity<Square>(nameof(Square))
        .AddActivity<Flaky>(nameof(Flaky))
        .AddActivity<Failing>(nameof(Failing))
        .AddActivity<Commit>(nameof(Commit))
        .AddActivity<Notify>(nameof(Notify))
        .AddActivity<Slow>(nameof(Slow))
        .AddOrchestrator<Chain>(nameof(Chain))
        .AddOrchestrator<FanOut>(nameof(FanOut))
        .AddOrchestrator<Retrying>(nameof(Retrying))
        .AddOrchestrator<RetryingOnlyTransient>(nameof(RetryingOnlyTransient))
        .AddOrchestrator<Sleeper>(nameof(Sleeper))
        .AddOrchestrator<TwoEvents>(nameof(TwoEvents))
        .AddOrchestrator<EventWithTimeout>(nameof(EventWithTimeout))
        .AddOrchestrator<FailingChild>(nameof(FailingChild))
        .AddOrchestrator<WaitForGo>(nameof(WaitForGo))
        .AddOrchestrator<Counter>(nameof(Counter))
        .AddOrchestrator<Drifting>(nameof(Drifting))
        .AddOrchestrator<Guids>(nameof(Guids))
        .AddOrchestrator<SlowOnce>(nameof(SlowOnce));

    private static DateTime Now(TaskOrchestrationContext context) => DateTime.SpecifyKind(context.CurrentUtcDateTime, DateTimeKind.Utc);

    public sealed class Greet : TaskActivity<string, string>
    {
        public override Task<string> RunAsync(TaskActivityContext context, string input) => Task.FromResult("Hello " + input);
    }

    public sealed class Square : TaskActivity<int, int>
    {
        public override Task<int> RunAsync(TaskActivityContext context, int input) => Task.FromResult(input * input);
    }

    public sealed record FlakyInput(string Key, int FailTimes);

    /// <summary>Fails its first <c>FailTimes</c> executions (counted per key), recording when each attempt ran.</summary>
    public sealed class Flaky : TaskActivity<FlakyInput, int>
    {
        public static readonly ConcurrentDictionary<string, ConcurrentQueue<DateTimeOffset>> Calls = new();

        public override Task<int> RunAsync(TaskActivityContext context, FlakyInput input)
        {
            var calls = Calls.GetOrAdd(input.Key, _ => new ConcurrentQueue<DateTimeOffset>());
            calls.Enqueue(DateTimeOffset.UtcNow);
            return calls.Count <= input.FailTimes
                ? throw new InvalidOperationException($"transient failure {calls.Count}")
                : Task.FromResult(calls.Count);
        }
    }

    /// <summary>Throws ArgumentException for "argument", InvalidOperationException("boom") otherwise.</summary>
    public sealed class Failing : TaskActivity<string, string>
    {
        public static readonly ConcurrentDictionary<string, int> Calls = new();

        public override Task<string> RunAsync(TaskActivityContext context, string input)
        {
            Calls.AddOrUpdate(context.InstanceId, 1, (_, n) => n + 1);
            throw input == "argument" ? new ArgumentException("bad argument") : new InvalidOperationException("boom");
        }
    }

    /// <summary>Its completion flips <see cref="Drifting"/>'s code path for the instance: the next replay diverges.</summary>
    public sealed class Commit : TaskActivity<string?, string>
    {
        public override Task<string> RunAsync(TaskActivityContext context, string? input)
        {
            Drifting.Changed[context.InstanceId] = true;
            return Task.FromResult("committed");
        }
    }

    public sealed class Notify : TaskActivity<string?, string>
    {
        public override Task<string> RunAsync(TaskActivityContext context, string? input) => Task.FromResult("notified");
    }

    /// <summary>Runs for the given milliseconds, counting its starts per instance (a test waits for the first start to stop the app under it).</summary>
    public sealed class Slow : TaskActivity<int, string>
    {
        public static readonly ConcurrentDictionary<string, int> Starts = new();

        public override async Task<string> RunAsync(TaskActivityContext context, int input)
        {
            Starts.AddOrUpdate(context.InstanceId, 1, (_, n) => n + 1);
            await Task.Delay(input);
            return "slept " + input;
        }
    }

    public sealed class SlowOnce : TaskOrchestrator<int, string>
    {
        public override Task<string> RunAsync(TaskOrchestrationContext context, int input) => context.CallActivityAsync<string>(nameof(Slow), input);
    }

    public sealed class Chain : TaskOrchestrator<string[], string[]>
    {
        public override async Task<string[]> RunAsync(TaskOrchestrationContext context, string[] input)
        {
            var results = new List<string>();
            foreach (var name in input)
            {
                results.Add(await context.CallActivityAsync<string>(nameof(Greet), name));
            }

            return [.. results];
        }
    }

    public sealed class FanOut : TaskOrchestrator<int, int>
    {
        public override async Task<int> RunAsync(TaskOrchestrationContext context, int input)
        {
            var squares = await Task.WhenAll(Enumerable.Range(1, input).Select(i => context.CallActivityAsync<int>(nameof(Square), i)));
            return squares.Sum();
        }
    }

    public sealed class Retrying : TaskOrchestrator<FlakyInput, int>
    {
        public static readonly RetryPolicy Policy = new(maxNumberOfAttempts: 4, firstRetryInterval: TimeSpan.FromSeconds(1), backoffCoefficient: 2);

        public override Task<int> RunAsync(TaskOrchestrationContext context, FlakyInput input) =>
            context.CallActivityAsync<int>(nameof(Flaky), input, TaskOptions.FromRetryPolicy(Policy));
    }

    /// <summary>Retries up to 3 attempts, except failures caused by ArgumentException (a caller's mistake is not transient).</summary>
    public sealed class RetryingOnlyTransient : TaskOrchestrator<string, string>
    {
        public override Task<string> RunAsync(TaskOrchestrationContext context, string input) =>
            context.CallActivityAsync<string>(nameof(Failing), input, TaskOptions.FromRetryHandler(r =>
                r.LastAttemptNumber < 3 && !r.LastFailure.IsCausedBy<ArgumentException>()));
    }

    public sealed class Sleeper : TaskOrchestrator<double, DateTimeOffset>
    {
        public override async Task<DateTimeOffset> RunAsync(TaskOrchestrationContext context, double input)
        {
            await context.CreateTimer(Now(context).AddSeconds(input), CancellationToken.None);
            return new DateTimeOffset(Now(context));
        }
    }

    public sealed class TwoEvents : TaskOrchestrator<double, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, double input)
        {
            await context.CreateTimer(Now(context).AddSeconds(input), CancellationToken.None);
            var first = await context.WaitForExternalEvent<string>("first");
            context.SetCustomStatus("waiting-second");
            var second = await context.WaitForExternalEvent<string>("second");
            return first + "," + second;
        }
    }

    public sealed class EventWithTimeout : TaskOrchestrator<double, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, double input)
        {
            try
            {
                return await context.WaitForExternalEvent<string>("never", TimeSpan.FromSeconds(input));
            }
            catch (TaskCanceledException)
            {
                return "timed out";
            }
        }
    }

    public sealed class FailingChild : TaskOrchestrator<string?, string>
    {
        public override Task<string> RunAsync(TaskOrchestrationContext context, string? input) =>
            context.CallActivityAsync<string>(nameof(Failing), "boom");
    }

    public sealed class WaitForGo : TaskOrchestrator<string?, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, string? input)
        {
            context.SetCustomStatus("waiting");
            var value = await context.WaitForExternalEvent<string>("go");
            return "went " + value;
        }
    }

    public sealed class Counter : TaskOrchestrator<int, int>
    {
        public override async Task<int> RunAsync(TaskOrchestrationContext context, int input)
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
    public sealed class Drifting : TaskOrchestrator<string?, string>
    {
        public static readonly ConcurrentDictionary<string, bool> Changed = new();

        public override async Task<string> RunAsync(TaskOrchestrationContext context, string? input)
        {
            await context.CallActivityAsync<string>(nameof(Greet), "first");
            await context.CallActivityAsync<string>(nameof(Greet), "second");
            var step = Changed.ContainsKey(context.InstanceId) ? nameof(Notify) : nameof(Commit);
            await context.CallActivityAsync<string>(step);
            return await context.CallActivityAsync<string>(nameof(Greet), "done");
        }
    }

    public sealed class Guids : TaskOrchestrator<string?, Guid[]>
    {
        public override async Task<Guid[]> RunAsync(TaskOrchestrationContext context, string? input)
        {
            var first = context.NewGuid();
            context.SetCustomStatus(first);
            await context.CallActivityAsync<string>(nameof(Greet), "x");
            return [first, context.NewGuid()];
        }
    }
}
