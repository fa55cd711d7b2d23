namespace IdpServerless.Durable;

/// <summary>Rules for instance ids: 1-100 of <c>A-Z a-z 0-9 - _ . : @</c>, so they are safe in URLs, keys and blob names.</summary>
public static class InstanceIds
{
    public static bool IsValid(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 100 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '@');

    public static void Validate(string id, string paramName)
    {
        if (!IsValid(id))
        {
            throw new ArgumentException($"Instance id '{id}' is invalid: use 1-100 of A-Z a-z 0-9 - _ . : @.", paramName);
        }
    }
}
