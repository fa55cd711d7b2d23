namespace IdpServerless.Functions.Notifications.Senders;

/// <summary>The rule for e-mail addresses a subscription may name: a bare address, nothing that could pass for a header or command.</summary>
public static class MailAddresses
{
    /// <summary>The trimmed address, or <see cref="DeliveryFailedException"/> (permanent) naming it.</summary>
    public static string Check(string address)
    {
        var a = address.Trim();
        var at = a.IndexOf('@', StringComparison.Ordinal);
        if (a.Length is 0 or > 254 || at <= 0 || at == a.Length - 1 || a.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '<' or '>' or ',' or ';' or '"'))
        {
            throw new DeliveryFailedException($"'{address.Replace('\r', ' ').Replace('\n', ' ')}' is not an e-mail address.", permanent: true);
        }

        return a;
    }
}
