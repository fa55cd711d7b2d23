using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using IdpServerless.Functions.Catalog.Index;

namespace IdpServerless.Functions.Catalog.Storage;

/// <summary>A decoded snapshot: every stored entity and the change-log position (UTC ticks) it covers.</summary>
public sealed record CatalogSnapshotContent(long Position, DateTimeOffset CreatedAt, List<StoredEntity> Entities);

/// <summary>A snapshot that cannot be used, and why (the caller logs it and loads from Table storage).</summary>
public sealed class CatalogSnapshotException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The catalog snapshot's binary format, version <see cref="FormatVersion"/>. A fixed header (magic <c>IDPCATSN</c>,
/// format version, change-log position, entity count, creation time, payload length, SHA-256 of the payload), then the
/// payload: gzip of every <see cref="StoredEntity"/> as length-prefixed fields, followed by the count again as an end
/// marker. A reader refuses a header of another version, a payload whose length or hash differ (a torn or corrupt
/// blob) and a payload that does not end exactly after the end marker.
/// </summary>
public static class CatalogSnapshot
{
    public const int FormatVersion = 1;
    private const int HeaderLength = 8 + 4 + 8 + 4 + 8 + 8 + 32;
    private static readonly byte[] Magic = "IDPCATSN"u8.ToArray();

    /// <summary>
    /// The snapshot blob of the catalog kept in <paramref name="entitiesTable"/> (so apps on other tables never read it);
    /// the name carries the version, so builds reading another format never see this one.
    /// </summary>
    public static string BlobName(string entitiesTable) => $"{entitiesTable}.v{FormatVersion}.snapshot";

    public static byte[] Encode(IReadOnlyCollection<StoredEntity> entities, long position, DateTimeOffset createdAt)
    {
        using var payload = new MemoryStream();
        using (var gzip = new GZipStream(payload, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new BinaryWriter(gzip, Encoding.UTF8, leaveOpen: true))
        {
            foreach (var e in entities)
            {
                writer.Write(e.RefKey);
                writer.Write(e.Uid);
                writer.Write(e.Etag);
                WriteOptional(writer, e.LocationId);
                WriteOptional(writer, e.ParentRef);
                writer.Write(e.RefreshedAt.UtcTicks);
                writer.Write(e.Hash);
                writer.Write(e.Body.Length);
                writer.Write(e.Body);
                WriteOptional(writer, e.TableETag);
            }

            writer.Write(entities.Count);
        }

        var body = payload.GetBuffer().AsSpan(0, (int)payload.Length);
        var result = new byte[HeaderLength + body.Length];
        var h = result.AsSpan();
        Magic.CopyTo(h);
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], FormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(h[12..], position);
        BinaryPrimitives.WriteInt32LittleEndian(h[20..], entities.Count);
        BinaryPrimitives.WriteInt64LittleEndian(h[24..], createdAt.UtcTicks);
        BinaryPrimitives.WriteInt64LittleEndian(h[32..], body.Length);
        SHA256.HashData(body, h[40..]);
        body.CopyTo(h[HeaderLength..]);
        return result;
    }

    /// <summary>Decodes and verifies; <see cref="CatalogSnapshotException"/> says what is wrong with a bad one.</summary>
    public static CatalogSnapshotContent Decode(byte[] blob)
    {
        if (blob.Length < HeaderLength || !blob.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw new CatalogSnapshotException($"not a catalog snapshot ({blob.Length} bytes, no header)");
        }

        var h = blob.AsSpan();
        var version = BinaryPrimitives.ReadInt32LittleEndian(h[8..]);
        if (version != FormatVersion)
        {
            throw new CatalogSnapshotException($"format version {version}; this build reads {FormatVersion}");
        }

        var position = BinaryPrimitives.ReadInt64LittleEndian(h[12..]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(h[20..]);
        var createdAt = new DateTimeOffset(BinaryPrimitives.ReadInt64LittleEndian(h[24..]), TimeSpan.Zero);
        var length = BinaryPrimitives.ReadInt64LittleEndian(h[32..]);
        if (length != blob.Length - HeaderLength || count < 0)
        {
            throw new CatalogSnapshotException($"payload of {blob.Length - HeaderLength} bytes where the header says {length} (a partial write?)");
        }

        var payload = blob.AsMemory(HeaderLength);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(payload.Span, hash);
        if (!hash.SequenceEqual(h.Slice(40, 32)))
        {
            throw new CatalogSnapshotException("payload hash differs from the header's (corrupt)");
        }

        try
        {
            using var gzip = new GZipStream(new MemoryStream(blob, HeaderLength, blob.Length - HeaderLength, writable: false), CompressionMode.Decompress);
            using var reader = new BinaryReader(gzip, Encoding.UTF8);
            var entities = new List<StoredEntity>(count);
            for (var i = 0; i < count; i++)
            {
                var refKey = reader.ReadString();
                var uid = reader.ReadString();
                var etag = reader.ReadString();
                var locationId = ReadOptional(reader);
                var parentRef = ReadOptional(reader);
                var refreshedAt = new DateTimeOffset(reader.ReadInt64(), TimeSpan.Zero);
                var entityHash = reader.ReadString();
                var body = reader.ReadBytes(reader.ReadInt32());
                entities.Add(new StoredEntity(refKey, uid, etag, locationId, parentRef, refreshedAt, entityHash, body, ReadOptional(reader)));
            }

            if (reader.ReadInt32() != count || gzip.ReadByte() != -1)
            {
                throw new CatalogSnapshotException("payload does not end after its entities");
            }

            return new CatalogSnapshotContent(position, createdAt, entities);
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException or DecoderFallbackException)
        {
            throw new CatalogSnapshotException($"payload unreadable: {e.Message}", e);
        }
    }

    private static void WriteOptional(BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null)
        {
            writer.Write(value);
        }
    }

    private static string? ReadOptional(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;
}
