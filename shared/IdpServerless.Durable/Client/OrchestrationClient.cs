using System.Text;
using System.Text.Json;
using IdpServerless.Durable.Engine;
using IdpServerless.Durable.Operability;
using IdpServerless.Durable.Storage;
using IdpServerless.Storage;

namespace IdpServerless.Durable.Client;

/// <summary>
/// The client over the task hub's tables and queues. Starting writes the status row (Pending) and sends
/// ExecutionStarted; everything else that changes an instance is a message to its control queue, so the engine applies
/// it in order with the instance's own events.
/// </summary>
internal sealed class OrchestrationClient(
    TaskHub hub,
    InstanceStore instances,
    HistoryStore history,
    PayloadStore payloads,
    MessageSender sender,
    TimeProvider time) : IOrchestrationClient
{
    private const int MaxLabels = 16;

    public async Task<string> StartNewAsync(string orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(orchestratorName);
        var instanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N");
        InstanceIds.Validate(instanceId, nameof(options.InstanceId));
        var labels = ValidateLabels(options?.Labels);
        await hub.EnsureCreatedAsync(ct).ConfigureAwait(false);

        var now = time.GetUtcNow();
        var executionId = Guid.NewGuid().ToString("N");
        var serialized = DurableJson.Serialize(input);
        var (inline, reference) = await payloads.StoreAsync(instanceId, serialized, ct).ConfigureAwait(false);
        var traceParent = DurableTelemetry.NewTraceParent();
        var state = new InstanceState
        {
            InstanceId = instanceId,
            Name = orchestratorName,
            Status = OrchestrationRuntimeStatus.Pending,
            ExecutionId = executionId,
            Input = inline,
            InputRef = reference,
            CreatedTime = now,
            LastUpdatedTime = now,
            ScheduledStartTime = options?.StartAt,
            Labels = labels,
            TraceParent = traceParent,
        };
        try
        {
            // Optimistic: a new id costs one write; only a reused id needs the read.
            await hub.Instances.AddEntityAsync(state.ToEntity(InstanceStore.Key(instanceId), InstanceStore.Row), ct).ConfigureAwait(false);
        }
        catch (StorageConflictException)
        {
            var (existing, etag) = await instances.GetAsync(instanceId, ct).ConfigureAwait(false);
            if (existing?.ExecutionId == executionId)
            {
                // Our own insert, retried after its response was lost.
            }
            else if (existing is null || !existing.Status.IsFinished())
            {
                throw new OrchestrationAlreadyExistsException(instanceId);
            }
            else
            {
                await RestartAsync(existing, etag!).ConfigureAwait(false);
            }
        }

        async Task RestartAsync(InstanceState existing, string etag)
        {
            try
            {
                // A restart: the episode count carries on, so the engine's later projections win over this row.
                state = state with { Episode = existing.Episode };
                await hub.Instances.UpdateEntityAsync(state.ToEntity(InstanceStore.Key(instanceId), InstanceStore.Row), etag, ct: ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StoragePreconditionFailedException or StorageNotFoundException)
            {
                throw new OrchestrationAlreadyExistsException(instanceId);
            }
        }

        var started = new StoredEvent
        {
            Type = HistoryEventType.ExecutionStarted, Timestamp = now, Name = orchestratorName, Data = inline, DataRef = reference,
            ExecutionId = executionId, Labels = labels.Count == 0 ? null : labels, TraceParent = traceParent, FireAt = options?.StartAt,
            MessageId = executionId + ":start",
        };
        var message = ControlMessage.Of(instanceId, executionId, started, executionId + ":start") with { NotBefore = options?.StartAt };
        await sender.SendControlAsync(message, options?.StartAt is { } at ? at - now : TimeSpan.Zero, ct).ConfigureAwait(false);
        return instanceId;
    }

    public async Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, bool getInputsAndOutputs = true, CancellationToken ct = default)
    {
        if (!InstanceIds.IsValid(instanceId))
        {
            return null;
        }

        var (state, _) = await GetStateAsync(instanceId, ct).ConfigureAwait(false);
        return state is null ? null : await ToMetadataAsync(state, getInputsAndOutputs, ct).ConfigureAwait(false);
    }

    public async Task RaiseEventAsync(string instanceId, string eventName, object? eventData = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        var state = await RequireActiveAsync(instanceId, ct).ConfigureAwait(false);
        var id = Guid.NewGuid().ToString("N");
        var e = new StoredEvent { Type = HistoryEventType.EventRaised, Timestamp = time.GetUtcNow(), Name = eventName, Data = DurableJson.Serialize(eventData), MessageId = id };
        e = await payloads.OffloadAsync(instanceId, e, ct).ConfigureAwait(false);
        await sender.SendControlAsync(ControlMessage.Of(instanceId, state.ExecutionId, e, id), TimeSpan.Zero, ct).ConfigureAwait(false);
    }

    public Task TerminateAsync(string instanceId, string? reason = null, CancellationToken ct = default) =>
        SendCommandAsync(instanceId, HistoryEventType.ExecutionTerminated, reason, ct);

    public Task SuspendAsync(string instanceId, string? reason = null, CancellationToken ct = default) =>
        SendCommandAsync(instanceId, HistoryEventType.ExecutionSuspended, reason, ct);

    public Task ResumeAsync(string instanceId, string? reason = null, CancellationToken ct = default) =>
        SendCommandAsync(instanceId, HistoryEventType.ExecutionResumed, reason, ct);

    public async Task<int> PurgeAsync(string instanceId, CancellationToken ct = default)
    {
        if (!InstanceIds.IsValid(instanceId))
        {
            return 0;
        }

        var (state, etag) = await GetStateAsync(instanceId, ct).ConfigureAwait(false);
        if (state is null)
        {
            return 0;
        }

        if (!state.Status.IsFinished())
        {
            throw new InstanceNotFinishedException(instanceId, state.Status);
        }

        await history.DeleteAllAsync(instanceId, ct).ConfigureAwait(false);
        await payloads.DeleteAllAsync(instanceId, ct).ConfigureAwait(false);
        try
        {
            await hub.Instances.DeleteEntityAsync(InstanceStore.Key(instanceId), InstanceStore.Row, etag ?? "*", ct).ConfigureAwait(false);
        }
        catch (StorageNotFoundException)
        {
            return 0;
        }
        catch (StoragePreconditionFailedException)
        {
            // Restarted meanwhile: its new execution keeps its status row.
            return 0;
        }

        return 1;
    }

    public async Task<OrchestrationQueryResult> QueryAsync(OrchestrationQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.PageSize is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.PageSize, "PageSize must be 1..1000.");
        }

        await hub.EnsureCreatedAsync(ct).ConfigureAwait(false);
        var filters = new List<string?> { TableFilter.Eq("RowKey", InstanceStore.Row) };
        if (!string.IsNullOrEmpty(query.Name))
        {
            filters.Add(TableFilter.Eq("Name", query.Name));
        }

        if (query.Statuses is { Count: > 0 } statuses)
        {
            filters.Add(TableFilter.Or(statuses.Distinct().Select(s => TableFilter.Eq("RuntimeStatus", s.ToString())).ToArray()));
        }

        if (query.CreatedFrom is { } from)
        {
            filters.Add(TableFilter.Ge("CreatedTime", from));
        }

        if (query.CreatedTo is { } to)
        {
            filters.Add(TableFilter.Lt("CreatedTime", to));
        }

        foreach (var (key, value) in ValidateLabels(query.Labels))
        {
            filters.Add(TableFilter.Eq(InstanceState.LabelPrefix + key, value));
        }

        var page = await hub.Instances.QueryPageAsync(TableFilter.And([.. filters]), query.PageSize, continuation: DecodeToken(query.ContinuationToken), ct: ct).ConfigureAwait(false);
        var items = new List<OrchestrationMetadata>(page.Items.Count);
        foreach (var e in page.Items)
        {
            items.Add(await ToMetadataAsync(InstanceState.FromEntity(e), query.FetchInputsAndOutputs, ct).ConfigureAwait(false));
        }

        return new OrchestrationQueryResult(items, EncodeToken(page.Continuation));
    }

    public async Task<IReadOnlyList<HistoryEvent>> GetHistoryAsync(string instanceId, CancellationToken ct = default)
    {
        if (!InstanceIds.IsValid(instanceId))
        {
            throw new InstanceNotFoundException(instanceId);
        }

        await hub.EnsureCreatedAsync(ct).ConfigureAwait(false);
        var loaded = await history.LoadAsync(instanceId, ct).ConfigureAwait(false);
        if (loaded.State is null)
        {
            if ((await instances.GetAsync(instanceId, ct).ConfigureAwait(false)).State is null)
            {
                throw new InstanceNotFoundException(instanceId);
            }

            return [];
        }

        var result = new List<HistoryEvent>();
        foreach (var episode in loaded.Episodes)
        {
            foreach (var e in episode.Events)
            {
                var data = e.DataRef is null ? null : await payloads.ResolveAsync(null, e.DataRef, ct).ConfigureAwait(false);
                result.Add(e.ToPublic(episode.Episode, episode.Worker, data));
            }
        }

        return result;
    }

    public async Task<OrchestrationMetadata> WaitForCompletionAsync(string instanceId, TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = time.GetUtcNow() + timeout;
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            var metadata = await GetInstanceAsync(instanceId, true, ct).ConfigureAwait(false) ?? throw new InstanceNotFoundException(instanceId);
            if (metadata.RuntimeStatus.IsFinished())
            {
                return metadata;
            }

            if (time.GetUtcNow() + delay > deadline)
            {
                throw new TimeoutException($"Orchestration '{instanceId}' did not finish within {timeout} (it is {metadata.RuntimeStatus}).");
            }

            await Task.Delay(delay, time, ct).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
        }
    }

    private async Task<(InstanceState? State, string? ETag)> GetStateAsync(string instanceId, CancellationToken ct)
    {
        try
        {
            return await instances.GetAsync(instanceId, ct).ConfigureAwait(false);
        }
        catch (StorageNotFoundException)
        {
            return (null, null); // The table does not exist yet.
        }
    }

    private async Task<InstanceState> RequireActiveAsync(string instanceId, CancellationToken ct)
    {
        var (state, _) = InstanceIds.IsValid(instanceId) ? await GetStateAsync(instanceId, ct).ConfigureAwait(false) : (null, null);
        if (state is null)
        {
            throw new InstanceNotFoundException(instanceId);
        }

        return state.Status.IsFinished() ? throw new InstanceCompletedException(instanceId, state.Status) : state;
    }

    private async Task SendCommandAsync(string instanceId, HistoryEventType type, string? reason, CancellationToken ct)
    {
        var state = await RequireActiveAsync(instanceId, ct).ConfigureAwait(false);
        var id = Guid.NewGuid().ToString("N");
        var e = new StoredEvent { Type = type, Timestamp = time.GetUtcNow(), Reason = reason is { Length: > 1000 } ? reason[..1000] : reason, MessageId = id };
        await sender.SendControlAsync(ControlMessage.Of(instanceId, state.ExecutionId, e, id), TimeSpan.Zero, ct).ConfigureAwait(false);
    }

    private async Task<OrchestrationMetadata> ToMetadataAsync(InstanceState s, bool withPayloads, CancellationToken ct)
    {
        string? input = null, output = null, custom = null;
        if (withPayloads)
        {
            input = await payloads.ResolveAsync(s.Input, s.InputRef, ct).ConfigureAwait(false);
            output = await payloads.ResolveAsync(s.Output, s.OutputRef, ct).ConfigureAwait(false);
            custom = s.CustomStatus;
        }

        return new OrchestrationMetadata(s.Name, s.InstanceId, s.Status, input, output, custom, s.CreatedTime, s.LastUpdatedTime, s.Labels, s.Failure)
        {
            ExecutionId = s.ExecutionId,
            TraceParent = s.TraceParent,
        };
    }

    private static Dictionary<string, string> ValidateLabels(IReadOnlyDictionary<string, string>? labels)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (labels is null)
        {
            return result;
        }

        if (labels.Count > MaxLabels)
        {
            throw new ArgumentException($"At most {MaxLabels} labels are allowed.", nameof(labels));
        }

        foreach (var (key, value) in labels)
        {
            if (string.IsNullOrEmpty(key) || key.Length > 64 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                throw new ArgumentException($"Label key '{key}' is invalid: use 1-64 of A-Z a-z 0-9 _.", nameof(labels));
            }

            if (value is null || value.Length > 256)
            {
                throw new ArgumentException($"Label '{key}' must have a value of at most 256 characters.", nameof(labels));
            }

            result[key] = value;
        }

        return result;
    }

    private static string? EncodeToken(TableContinuation? continuation) =>
        continuation is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(continuation, DurableJson.Options)))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static TableContinuation? DecodeToken(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        try
        {
            var padded = token.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            return JsonSerializer.Deserialize<TableContinuation>(Encoding.UTF8.GetString(Convert.FromBase64String(padded)), DurableJson.Options)
                   ?? throw new ArgumentException("The continuation token is invalid.", nameof(token));
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new ArgumentException("The continuation token is invalid.", nameof(token), e);
        }
    }
}
