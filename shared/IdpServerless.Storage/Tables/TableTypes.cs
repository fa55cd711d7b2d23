namespace IdpServerless.Storage;

/// <summary>How an update treats properties the sent entity does not carry.</summary>
public enum TableUpdateMode
{
    /// <summary>PUT: the stored entity becomes exactly the sent one (missing properties are removed).</summary>
    Replace,

    /// <summary>MERGE: sent properties are set, others are kept.</summary>
    Merge,
}

/// <summary>Where the next query page starts (from the x-ms-continuation-* response headers).</summary>
public sealed record TableContinuation(string? NextPartitionKey, string? NextRowKey);

/// <summary>One page of query results; <see cref="Continuation"/> is null on the last page. A page may be empty yet continue.</summary>
public sealed record TablePage(IReadOnlyList<TableEntity> Items, TableContinuation? Continuation);

/// <summary>Operation kinds inside an entity group transaction.</summary>
public enum TableBatchAction
{
    Add,
    UpsertReplace,
    UpsertMerge,
    UpdateReplace,
    UpdateMerge,
    Delete,
}

/// <summary>
/// One operation of a batch. <see cref="IfMatch"/> applies to Update* and Delete (null means "*"); it is
/// ignored for Add and Upsert*. For Delete only the entity's keys are used.
/// </summary>
public sealed record TableBatchOperation(TableBatchAction Action, TableEntity Entity, string? IfMatch = null);

/// <summary>Per-operation outcome of a successful batch: HTTP status and the new ETag (null for deletes).</summary>
public sealed record TableBatchResult(int Status, string? ETag);
