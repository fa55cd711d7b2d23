using IdpServerless.Storage;

namespace IdpServerless.Tests.Storage;

public class StorageAccountTests
{
    private const string Key = "c2VjcmV0LWtleS1ieXRlcy1mb3ItdGVzdHMtb25seQ==";

    [Fact]
    public void Development_storage_uses_emulator_account_and_path_style_loopback_endpoints()
    {
        var account = StorageAccount.Parse("UseDevelopmentStorage=true");

        Assert.Equal("devstoreaccount1", account.AccountName);
        Assert.Equal("http://127.0.0.1:10000/devstoreaccount1", account.BlobEndpoint.AbsoluteUri);
        Assert.Equal("http://127.0.0.1:10001/devstoreaccount1", account.QueueEndpoint.AbsoluteUri);
        Assert.Equal("http://127.0.0.1:10002/devstoreaccount1", account.TableEndpoint.AbsoluteUri);
        Assert.Equal(StorageCredentialKind.SharedKey, account.CredentialKind);
    }

    [Fact]
    public void Account_key_with_suffix_builds_https_endpoints()
    {
        var account = StorageAccount.Parse($"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={Key};EndpointSuffix=core.chinacloudapi.cn");

        Assert.Equal("acme", account.AccountName);
        Assert.Equal("https://acme.blob.core.chinacloudapi.cn/", account.BlobEndpoint.AbsoluteUri);
        Assert.Equal("https://acme.queue.core.chinacloudapi.cn/", account.QueueEndpoint.AbsoluteUri);
        Assert.Equal("https://acme.table.core.chinacloudapi.cn/", account.TableEndpoint.AbsoluteUri);
        Assert.Equal(StorageCredentialKind.SharedKey, account.CredentialKind);
    }

    [Fact]
    public void Suffix_defaults_to_public_cloud_and_keys_are_case_insensitive_with_trailing_semicolon()
    {
        var account = StorageAccount.Parse($"accountname=acme;ACCOUNTKEY={Key};");
        Assert.Equal("https://acme.table.core.windows.net/", account.TableEndpoint.AbsoluteUri);
    }

    [Fact]
    public void Explicit_endpoints_override_and_trailing_slash_is_dropped()
    {
        var account = StorageAccount.Parse(
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};"
            + "BlobEndpoint=http://127.0.0.1:5000/devstoreaccount1/;QueueEndpoint=http://127.0.0.1:5001/devstoreaccount1;TableEndpoint=http://127.0.0.1:5002/devstoreaccount1");

        Assert.Equal("http://127.0.0.1:5000/devstoreaccount1", account.BlobEndpoint.AbsoluteUri);
        Assert.Equal("http://127.0.0.1:5002/devstoreaccount1", account.TableEndpoint.AbsoluteUri);
    }

    [Fact]
    public void Shared_access_signature_form_uses_sas_credential()
    {
        var account = StorageAccount.Parse(
            "BlobEndpoint=https://acme.blob.core.windows.net;QueueEndpoint=https://acme.queue.core.windows.net;"
            + "TableEndpoint=https://acme.table.core.windows.net;SharedAccessSignature=?sv=2021-12-02&ss=bqt&sig=SECRETSIG%3D");

        Assert.Equal("acme", account.AccountName);
        Assert.Equal(StorageCredentialKind.SharedAccessSignature, account.CredentialKind);
        Assert.DoesNotContain("SECRETSIG", account.ToString());
    }

    [Fact]
    public void Account_name_alone_means_bearer_tokens_on_default_endpoints()
    {
        var account = StorageAccount.Parse("AccountName=acme");

        Assert.Equal(StorageCredentialKind.BearerToken, account.CredentialKind);
        Assert.Equal("https://acme.queue.core.windows.net/", account.QueueEndpoint.AbsoluteUri);
    }

    [Fact]
    public void Endpoint_alone_infers_account_and_suffix_for_the_other_services()
    {
        var account = StorageAccount.Parse("TableEndpoint=https://acme.table.core.usgovcloudapi.net");

        Assert.Equal("acme", account.AccountName);
        Assert.Equal(StorageCredentialKind.BearerToken, account.CredentialKind);
        Assert.Equal("https://acme.blob.core.usgovcloudapi.net/", account.BlobEndpoint.AbsoluteUri);
    }

    [Fact]
    public void ForAzurite_uses_given_ports()
    {
        var account = StorageAccount.ForAzurite(1, 2, 3);
        Assert.Equal("http://127.0.0.1:2/devstoreaccount1", account.QueueEndpoint.AbsoluteUri);
        Assert.Equal(StorageCredentialKind.SharedKey, account.CredentialKind);
    }

    [Fact]
    public void ToString_never_contains_the_key()
    {
        var account = StorageAccount.Parse($"AccountName=acme;AccountKey={Key}");
        Assert.DoesNotContain(Key, account.ToString());
        Assert.Contains("acme", account.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("AccountName=acme;garbage", "part 2")]
    [InlineData("AccountName=acme;Colour=blue", "Colour")]
    [InlineData("AccountName=acme;AccountName=other", "more than once")]
    [InlineData("UseDevelopmentStorage=false", "UseDevelopmentStorage")]
    [InlineData("UseDevelopmentStorage=true;AccountName=x", "AccountName")]
    [InlineData("AccountName=acme;DefaultEndpointsProtocol=ftp", "DefaultEndpointsProtocol")]
    [InlineData("AccountName=acme;BlobEndpoint=not a url", "BlobEndpoint")]
    [InlineData("BlobEndpoint=http://127.0.0.1:1/devstoreaccount1", "QueueEndpoint")]
    [InlineData("DefaultEndpointsProtocol=https", "AccountName")]
    public void Bad_forms_throw_FormatException_naming_the_part(string connectionString, string named)
    {
        var ex = Assert.Throws<FormatException>(() => StorageAccount.Parse(connectionString));
        Assert.Contains(named, ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Invalid_key_is_reported_without_echoing_it()
    {
        const string badKey = "not*base64*SUPERSECRET";
        var ex = Assert.Throws<FormatException>(() => StorageAccount.Parse($"AccountName=acme;AccountKey={badKey}"));

        Assert.Contains("AccountKey", ex.Message);
        Assert.DoesNotContain("SUPERSECRET", ex.Message);
    }

    [Fact]
    public void Mangled_part_holding_a_key_is_not_echoed()
    {
        var ex = Assert.Throws<FormatException>(() => StorageAccount.Parse($"AccountName=acme;{Key}"));
        Assert.DoesNotContain(Key, ex.Message);
    }

    [Fact]
    public void Key_and_sas_together_are_rejected_without_echoing_either()
    {
        var ex = Assert.Throws<FormatException>(() => StorageAccount.Parse($"AccountName=acme;AccountKey={Key};SharedAccessSignature=sig=TOPSECRET"));
        Assert.DoesNotContain("TOPSECRET", ex.Message);
        Assert.DoesNotContain(Key, ex.Message);
    }
}
