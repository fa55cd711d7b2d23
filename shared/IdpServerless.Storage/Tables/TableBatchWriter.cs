using System.Buffers;
using System.Text;
using System.Text.Json;

namespace IdpServerless.Storage.Internal;

/// <summary>
/// Validates a batch and writes it as the multipart/mixed body of an entity group transaction (one
/// changeset holding every operation). Validation happens before anything is sent, because Azurite does
/// not enforce the single-partition rule that Azure does.
/// </summary>
internal static class TableBatchWriter
{
    public const int MaxOperations = 100;
    public const int MaxBodyBytes = 4 * 1024 * 1024;

    public static (ReadOnlyMemory<byte> Body, string ContentType) Build(string tableUri, IReadOnlyList<TableBatchOperation> ops)
    {
        Validate(ops);
        var batchBoundary = "batch_" + Guid.NewGuid().ToString("N");
        var changesetBoundary = "changeset_" + Guid.NewGuid().ToString("N");
        var buffer = new ArrayBufferWriter<byte>(1024 * ops.Count);

        Ascii(buffer, $"--{batchBoundary}\r\nContent-Type: multipart/mixed; boundary={changesetBoundary}\r\n\r\n");
        using var json = new Utf8JsonWriter(buffer);
        foreach (var op in ops)
        {
            var entity = op.Entity;
            var (verb, onCollection, hasBody, ifMatch) = op.Action switch
            {
                TableBatchAction.Add => ("POST", true, true, null),
                TableBatchAction.UpsertReplace => ("PUT", false, true, null),
                TableBatchAction.UpsertMerge => ("MERGE", false, true, null),
                TableBatchAction.UpdateReplace => ("PUT", false, true, op.IfMatch ?? "*"),
                TableBatchAction.UpdateMerge => ("MERGE", false, true, op.IfMatch ?? "*"),
                TableBatchAction.Delete => ("DELETE", false, false, op.IfMatch ?? "*"),
                _ => throw new ArgumentException($"Unknown batch action {op.Action}.", nameof(ops)),
            };
            var url = onCollection ? tableUri : TableUris.Entity(tableUri, entity.PartitionKey, entity.RowKey);
            var sb = new StringBuilder(256)
                .Append("--").Append(changesetBoundary).Append("\r\n")
                .Append("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n")
                .Append(verb).Append(' ').Append(url).Append(" HTTP/1.1\r\n")
                .Append("Accept: ").Append(TableClient.JsonAccept).Append("\r\n")
                .Append("DataServiceVersion: 3.0;\r\n");
            if (hasBody)
            {
                sb.Append("Content-Type: application/json\r\n");
            }

            if (verb == "POST")
            {
                sb.Append("Prefer: return-no-content\r\n");
            }

            if (ifMatch is not null)
            {
                sb.Append("If-Match: ").Append(ifMatch).Append("\r\n");
            }

            sb.Append("\r\n");
            Ascii(buffer, sb.ToString());
            if (hasBody)
            {
                json.Reset(buffer);
                TableEntityJson.Write(json, entity);
                json.Flush();
            }

            Ascii(buffer, "\r\n");
        }

        Ascii(buffer, $"--{changesetBoundary}--\r\n--{batchBoundary}--\r\n");
        if (buffer.WrittenCount > MaxBodyBytes)
        {
            throw new ArgumentException(
                $"The batch is {buffer.WrittenCount} bytes; an entity group transaction is limited to 4 MiB.", nameof(ops));
        }

        return (buffer.WrittenMemory, "multipart/mixed; boundary=" + batchBoundary);
    }

    public static void Validate(IReadOnlyList<TableBatchOperation> ops)
    {
        if (ops.Count is 0 or > MaxOperations)
        {
            throw new ArgumentException($"A batch holds 1..{MaxOperations} operations, not {ops.Count}.", nameof(ops));
        }

        var partition = ops[0]?.Entity?.PartitionKey;
        var rowKeys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ops.Count; i++)
        {
            var op = ops[i] ?? throw new ArgumentException($"Batch operation {i} is null.", nameof(ops));
            if (op.Entity is null)
            {
                throw new ArgumentException($"Batch operation {i} has no entity.", nameof(ops));
            }

            if (!string.Equals(op.Entity.PartitionKey, partition, StringComparison.Ordinal))
            {
                throw new ArgumentException(
                    $"Batch operation {i} targets another partition; all operations of a batch must share one PartitionKey.", nameof(ops));
            }

            if (!rowKeys.Add(op.Entity.RowKey))
            {
                throw new ArgumentException($"Batch operation {i} touches the same entity as an earlier one; each entity may appear once.", nameof(ops));
            }
        }
    }

    private static void Ascii(ArrayBufferWriter<byte> buffer, string text)
    {
        // URLs are percent-encoded and headers ASCII, so UTF-8 equals ASCII here.
        var span = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        var written = Encoding.UTF8.GetBytes(text, span);
        buffer.Advance(written);
    }
}
