using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IdpServerless.Functions.Secrets;

/// <summary>
/// A resolved secret. Its text comes out only through <see cref="Reveal"/>, at the moment it is used (a header, a
/// signature); <see cref="ToString"/>, the debugger and JSON serialization show <c>***</c>, so a value that slips into
/// a log line, an exception message, an API response or a stored document reveals nothing.
/// </summary>
[JsonConverter(typeof(SecretValueJsonConverter))]
[DebuggerDisplay("{ToString(),nq}")]
public sealed class SecretValue(SecretReference source, string value)
{
    public const string Mask = "***";

    /// <summary>Where the value came from (safe to show).</summary>
    public SecretReference Source { get; } = source;

    /// <summary>The secret text. Use it directly; never log, store or return it.</summary>
    public string Reveal() => value;

    public override string ToString() => $"{Mask} ({Source})";

    private sealed class SecretValueJsonConverter : JsonConverter<SecretValue>
    {
        public override SecretValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new JsonException("Secret values are never accepted as JSON: send a secret reference.");

        public override void Write(Utf8JsonWriter writer, SecretValue value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Mask);
    }
}

/// <summary>A reference could not be resolved. The message names the reference and the reason, never a value.</summary>
public sealed class SecretResolutionException(SecretReference? reference, string reason, int? upstreamStatus = null)
    : Exception(reference is null ? reason : $"Secret {reference} could not be resolved: {reason}")
{
    public SecretReference? Reference { get; } = reference;

    /// <summary>The provider's HTTP status when it answered (404 means "no such secret").</summary>
    public int? UpstreamStatus { get; } = upstreamStatus;
}
