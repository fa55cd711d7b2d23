using System.Globalization;

namespace IdpServerless.Functions.Deployments.Model;

/// <summary>Durations as written in annotations: <c>500ms</c>, <c>30s</c>, <c>5m</c>, <c>1h</c>, or <c>hh:mm:ss</c>.</summary>
public static class Durations
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        (string number, double factorMs) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 1d),
            _ when text.EndsWith('s') => (text[..^1], 1000d),
            _ when text.EndsWith('m') => (text[..^1], 60_000d),
            _ when text.EndsWith('h') => (text[..^1], 3_600_000d),
            _ => (string.Empty, 0d),
        };
        if (factorMs > 0 && double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0 && n * factorMs <= TimeSpan.FromDays(30).TotalMilliseconds)
        {
            value = TimeSpan.FromMilliseconds(n * factorMs);
            return true;
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var t) && t >= TimeSpan.Zero)
        {
            value = t;
            return true;
        }

        return false;
    }

    public static string Format(TimeSpan value) =>
        value.TotalMilliseconds < 1000 ? $"{value.TotalMilliseconds:0}ms"
        : value.TotalSeconds < 120 ? $"{value.TotalSeconds:0.###}s"
        : value.TotalMinutes < 120 ? $"{value.TotalMinutes:0.###}m"
        : $"{value.TotalHours:0.###}h";
}
