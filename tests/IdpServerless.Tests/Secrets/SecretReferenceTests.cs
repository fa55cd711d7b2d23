using System.Text.Json;
using IdpServerless.Functions.Secrets;

namespace IdpServerless.Tests.Secrets;

public class SecretReferenceTests
{
    [Theory]
    [InlineData("vault:secret/payments/db#password", "vault", "secret/payments/db", "password")]
    [InlineData("keyvault:payments-db", "keyvault", "payments-db", null)]
    [InlineData("local:slack-webhook", "local", "slack-webhook", null)]
    public void Valid_references_parse_into_scheme_path_and_key(string text, string scheme, string path, string? key)
    {
        var r = SecretReference.Parse(text);
        Assert.Equal(new SecretReference(scheme, path, key), r);
        Assert.Equal(text, r.ToString());
    }

    [Theory]
    [InlineData("vault:secret#password")]
    [InlineData("vault:secret/../sys#x")]
    [InlineData("vault:secret/db")]
    [InlineData("keyvault:has_underscore")]
    [InlineData("local:")]
    [InlineData("plain-text-password")]
    [InlineData("env:HOME")]
    public void Malformed_references_are_refused_with_the_expected_shape(string text)
    {
        Assert.False(SecretReference.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void A_secret_value_never_shows_itself_in_text_or_json()
    {
        var value = new SecretValue(SecretReference.Parse("local:db"), "hunter2-" + Guid.NewGuid());
        Assert.DoesNotContain("hunter2", value.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", $"{value}", StringComparison.Ordinal);
        var json = JsonSerializer.Serialize(new { password = value });
        Assert.Equal("{\"password\":\"***\"}", json);
        Assert.StartsWith("hunter2-", value.Reveal(), StringComparison.Ordinal);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<SecretValue>("\"hunter2\""));
    }
}
