using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace IdpServerless.Hosting.Observability;

/// <summary>The app's activity source and meter; features add their own instruments to <see cref="Meter"/>.</summary>
public static class FunctionTelemetry
{
    public const string Name = "IdpServerless";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    private static readonly Counter<long> Invocations = Meter.CreateCounter<long>("idp_function_invocations", description: "Function invocations by function, trigger and outcome.");
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("idp_function_duration", unit: "s", description: "Function invocation duration.");
    private static readonly Counter<long> Poisoned = Meter.CreateCounter<long>("idp_queue_poisoned_messages", description: "Messages moved to a poison queue.");

    public static void RecordInvocation(string function, string trigger, string outcome, TimeSpan elapsed)
    {
        var tags = new TagList { { "function", function }, { "trigger", trigger }, { "outcome", outcome } };
        Invocations.Add(1, tags);
        Duration.Record(elapsed.TotalSeconds, new TagList { { "function", function }, { "trigger", trigger } });
    }

    public static void RecordPoisoned(string function) => Poisoned.Add(1, new TagList { { "function", function } });
}
