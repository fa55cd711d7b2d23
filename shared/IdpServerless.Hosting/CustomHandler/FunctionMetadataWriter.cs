using System.Text.Json;
using System.Text.Json.Nodes;
using IdpServerless.Hosting.Functions;

namespace IdpServerless.Hosting.CustomHandler;

/// <summary>
/// Generates the Functions host's <c>function.json</c> files from the registry: the front-door HTTP function that
/// forwards every request, and one file per queue and timer function. Run at publish (<c>--emit-function-metadata</c>).
/// </summary>
public static class FunctionMetadataWriter
{
    /// <summary>The binding name carrying a queue message in the host's envelope.</summary>
    public const string QueueBinding = "message";

    /// <summary>The binding name carrying the timer payload.</summary>
    public const string TimerBinding = "timer";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Every function's JSON, by function name.</summary>
    public static IReadOnlyDictionary<string, string> Render(FunctionRegistry registry)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [FunctionRegistry.HttpFrontDoorName] = Serialize(new JsonObject
            {
                ["bindings"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "httpTrigger",
                        ["direction"] = "in",
                        ["name"] = "req",
                        ["authLevel"] = "anonymous",
                        ["methods"] = new JsonArray("get", "post", "put", "patch", "delete", "head", "options"),
                        ["route"] = "{*path}",
                    },
                    new JsonObject { ["type"] = "http", ["direction"] = "out", ["name"] = "res" }),
            }),
        };

        foreach (var q in registry.QueueFunctions)
        {
            JsonObject trigger;
            if (q.ServiceBusTopic is not null)
            {
                trigger = new JsonObject
                {
                    ["type"] = "serviceBusTrigger", ["direction"] = "in", ["name"] = QueueBinding,
                    ["topicName"] = q.ServiceBusTopic, ["subscriptionName"] = q.ServiceBusSubscription, ["connection"] = "ServiceBusConnection",
                };
            }
            else if (q.ServiceBusQueue is not null)
            {
                trigger = new JsonObject
                {
                    ["type"] = "serviceBusTrigger", ["direction"] = "in", ["name"] = QueueBinding,
                    ["queueName"] = q.ServiceBusQueue, ["connection"] = "ServiceBusConnection",
                };
            }
            else
            {
                trigger = new JsonObject
                {
                    ["type"] = "queueTrigger", ["direction"] = "in", ["name"] = QueueBinding,
                    ["queueName"] = q.QueueName, ["connection"] = "AzureWebJobsStorage",
                };
            }

            result[q.Name] = Serialize(new JsonObject { ["bindings"] = new JsonArray(trigger) });
        }

        foreach (var t in registry.TimerFunctions)
        {
            result[t.Name] = Serialize(new JsonObject
            {
                ["bindings"] = new JsonArray(new JsonObject
                {
                    ["type"] = "timerTrigger", ["direction"] = "in", ["name"] = TimerBinding,
                    ["schedule"] = t.Schedule, ["runOnStartup"] = t.RunOnStartup, ["useMonitor"] = true,
                }),
            });
        }

        return result;
    }

    /// <summary>Writes <c>{dir}/{name}/function.json</c> for every function and removes folders of functions that no longer exist.</summary>
    public static void Write(FunctionRegistry registry, string appRoot)
    {
        var rendered = Render(registry);
        foreach (var existing in Directory.Exists(appRoot) ? Directory.GetDirectories(appRoot) : [])
        {
            var name = Path.GetFileName(existing);
            if (File.Exists(Path.Combine(existing, "function.json")) && !rendered.ContainsKey(name))
            {
                Directory.Delete(existing, recursive: true);
            }
        }

        foreach (var (name, json) in rendered)
        {
            var dir = Path.Combine(appRoot, name);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "function.json"), json + "\n");
        }
    }

    private static string Serialize(JsonObject o) => o.ToJsonString(Indented);
}
