using System.Text;
using Azure;
using Azure.Data.Tables;

namespace IdpServerless.Storage.Internal;

/// <summary>
/// Checks an entity group transaction against the service's limits before anything is sent (Azurite does not
/// enforce the single-partition rule that Azure does) and maps its operations onto the SDK's actions.
/// </summary>
internal static class TableBatches
{
    public const int MaxOperations = 100;
    public const int MaxBodyBytes = 4 * 1024 * 1024;

    // Multipart framing, request line and headers of one operation: generous, so the estimate errs high.
    private const int OperationOverheadBytes = 600;

    public static void Validate(IReadOnlyList<TableBatchOperation> ops)
    {
        if (ops.Count is 0 or > MaxOperations)
        {
            throw new ArgumentException($"A batch holds 1..{MaxOperations} operations, not {ops.Count}.", nameof(ops));
        }

        var partition = ops[0]?.Entity?.PartitionKey;
        var rowKeys = new HashSet<string>(StringComparer.Ordinal);
        long bytes = 0;
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

            bytes += OperationOverheadBytes + (op.Action == TableBatchAction.Delete ? KeyBytes(op.Entity) : EstimateJsonBytes(op.Entity));
        }

        if (bytes > MaxBodyBytes)
        {
            throw new ArgumentException($"The batch is about {bytes} bytes; an entity group transaction is limited to 4 MiB.", nameof(ops));
        }
    }

    public static TableTransactionAction ToSdk(TableBatchOperation op)
    {
        var ifMatch = op.IfMatch is { Length: > 0 } m ? new ETag(m) : ETag.All;
        return op.Action switch
        {
            TableBatchAction.Add => new TableTransactionAction(TableTransactionActionType.Add, TableEntities.ToSdk(op.Entity)),
            TableBatchAction.UpsertReplace => new TableTransactionAction(TableTransactionActionType.UpsertReplace, TableEntities.ToSdk(op.Entity)),
            TableBatchAction.UpsertMerge => new TableTransactionAction(TableTransactionActionType.UpsertMerge, TableEntities.ToSdk(op.Entity)),
            TableBatchAction.UpdateReplace => new TableTransactionAction(TableTransactionActionType.UpdateReplace, TableEntities.ToSdk(op.Entity), ifMatch),
            TableBatchAction.UpdateMerge => new TableTransactionAction(TableTransactionActionType.UpdateMerge, TableEntities.ToSdk(op.Entity), ifMatch),
            TableBatchAction.Delete => new TableTransactionAction(TableTransactionActionType.Delete, new Azure.Data.Tables.TableEntity(op.Entity.PartitionKey, op.Entity.RowKey), ifMatch),
            _ => throw new ArgumentException($"Unknown batch action {op.Action}.", nameof(op)),
        };
    }

    private static long KeyBytes(TableEntity e) =>
        3L * (Encoding.UTF8.GetByteCount(e.PartitionKey) + Encoding.UTF8.GetByteCount(e.RowKey)); // percent-encoded in the URL

    /// <summary>An estimate, erring high, of the entity's OData JSON: names, values and type annotations.</summary>
    private static long EstimateJsonBytes(TableEntity e)
    {
        long bytes = KeyBytes(e) + 64;
        foreach (var (name, value) in e.Properties)
        {
            bytes += (JsonStringBytes(name) * 2) + 40; // "name":..., and "name@odata.type":"Edm.X"
            bytes += value switch
            {
                string s => JsonStringBytes(s),
                byte[] b => ((b.Length + 2) / 3 * 4) + 2,
                _ => 40,
            };
        }

        return bytes;
    }

    /// <summary>Bytes of a JSON string as System.Text.Json's default encoder writes it (non-ASCII and HTML-sensitive characters as \uXXXX).</summary>
    private static long JsonStringBytes(string s)
    {
        long bytes = 2;
        foreach (var c in s)
        {
            bytes += c switch
            {
                '"' or '\\' => 2,
                '<' or '>' or '&' or '\'' or '+' or '`' => 6,
                < ' ' or > '~' => 6,
                _ => 1,
            };
        }

        return bytes;
    }
}
