namespace IdpServerless.Storage;

/// <summary>A downloaded blob: bytes, content type, ETag (for If-Match) and last-modified time.</summary>
public sealed record BlobContent(byte[] Content, string ContentType, string ETag, DateTimeOffset LastModified);

/// <summary>One entry of a container listing.</summary>
public sealed record BlobItem(string Name, long Length, string ETag, DateTimeOffset LastModified, string? ContentType);
