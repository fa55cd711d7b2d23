namespace IdpServerless.Functions.Docs.Building;

/// <summary>The files of a docs tree that are published as assets, and the content type each is served with.</summary>
public static class AssetTypes
{
    public const string Svg = "image/svg+xml";

    private static readonly Dictionary<string, string> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        [".png"] = "image/png",
        [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg",
        [".gif"] = "image/gif",
        [".webp"] = "image/webp",
        [".svg"] = Svg,
        [".pdf"] = "application/pdf",
        [".txt"] = "text/plain; charset=utf-8",
    };

    /// <summary>The content type, or null when files of this kind are not published.</summary>
    public static string? For(string path) => Types.GetValueOrDefault(Path.GetExtension(path));
}
