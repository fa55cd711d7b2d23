using IdpServerless.Storage;
using IdpServerless.Storage.Internal;

namespace IdpServerless.Tests.Storage;

/// <summary>
/// Strings-to-sign derived by hand from Microsoft's "Authorize with Shared Key" rules; the HMACs were computed
/// independently (Python hmac/sha256 over the same strings with the emulator key).
/// </summary>
public class SharedKeySignerTests
{
    private static readonly byte[] Key = Convert.FromBase64String(StorageAccount.DevelopmentAccountKey);

    [Fact]
    public void Blob_container_metadata_request_matches_documented_example()
    {
        // Docs: GET .../mycontainer?restype=container&comp=metadata&timeout=20, x-ms-date Sun, 11 Oct 2009 21:49:13 GMT.
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://myaccount.blob.core.windows.net/mycontainer?restype=container&comp=metadata&timeout=20");
        request.Headers.TryAddWithoutValidation("x-ms-version", "2009-09-19");
        request.Headers.TryAddWithoutValidation("x-ms-date", "Sun, 11 Oct 2009 21:49:13 GMT");

        var sts = SharedKeySigner.BuildStringToSign(request, "myaccount");

        Assert.Equal(
            "GET\n\n\n\n\n\n\n\n\n\n\n\n"
            + "x-ms-date:Sun, 11 Oct 2009 21:49:13 GMT\nx-ms-version:2009-09-19\n"
            + "/myaccount/mycontainer\ncomp:metadata\nrestype:container\ntimeout:20",
            sts);
        Assert.Equal("m649E40iEJ3QQyCg9/WI2Fa9zS+RB/2rEBcLJb0CKs0=", SharedKeySigner.Sign(sts, Key));
    }

    [Fact]
    public void Path_style_url_repeats_the_account_in_the_canonicalized_resource()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://127.0.0.1:10000/devstoreaccount1/mycontainer?restype=container&comp=list&include=metadata");
        request.Headers.TryAddWithoutValidation("x-ms-date", "Sun, 11 Oct 2009 21:49:13 GMT");
        request.Headers.TryAddWithoutValidation("x-ms-version", "2021-12-02");

        var sts = SharedKeySigner.BuildStringToSign(request, "devstoreaccount1");

        Assert.EndsWith("/devstoreaccount1/devstoreaccount1/mycontainer\ncomp:list\ninclude:metadata\nrestype:container", sts);
    }

    [Fact]
    public void Queue_put_message_signs_length_type_sorted_headers_and_decoded_lowercased_query()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://myaccount.queue.core.windows.net/orders/messages?visibilitytimeout=0&MessageTTL=-1&a=x%20y");
        request.Headers.TryAddWithoutValidation("x-ms-version", "2021-12-02");
        request.Headers.TryAddWithoutValidation("x-ms-date", "Fri, 20 Nov 2026 10:00:00 GMT");
        request.Headers.TryAddWithoutValidation("x-ms-client-request-id", "abc");
        request.Content = new ByteArrayContent(new byte[42]);
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/xml");

        var sts = SharedKeySigner.BuildStringToSign(request, "myaccount");

        Assert.Equal(
            "POST\n\n\n42\n\napplication/xml\n\n\n\n\n\n\n"
            + "x-ms-client-request-id:abc\nx-ms-date:Fri, 20 Nov 2026 10:00:00 GMT\nx-ms-version:2021-12-02\n"
            + "/myaccount/orders/messages\na:x y\nmessagettl:-1\nvisibilitytimeout:0",
            sts);
        Assert.Equal("b1lFjq9zHoI2VwGXyHe08weVzwgRzICV+Dwx9/vu8EU=", SharedKeySigner.Sign(sts, Key));
    }

    [Fact]
    public void Zero_content_length_is_signed_as_empty_and_if_match_is_included()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "https://a.blob.core.windows.net/c/b");
        request.Headers.TryAddWithoutValidation("x-ms-date", "Fri, 20 Nov 2026 10:00:00 GMT");
        request.Headers.TryAddWithoutValidation("If-Match", "\"0x8D\"");
        request.Content = new ByteArrayContent([]);

        var sts = SharedKeySigner.BuildStringToSign(request, "a");

        Assert.Equal("PUT\n\n\n\n\n\n\n\n\"0x8D\"\n\n\n\nx-ms-date:Fri, 20 Nov 2026 10:00:00 GMT\n/a/c/b", sts);
    }

    [Fact]
    public void Table_shared_key_lite_is_date_and_resource_with_only_comp()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://127.0.0.1:10002/devstoreaccount1/Tables?comp=acl&$filter=x");
        request.Headers.TryAddWithoutValidation("x-ms-date", "Sun, 11 Oct 2009 19:52:39 GMT");

        var withComp = SharedKeySigner.BuildLiteStringToSign(request, "devstoreaccount1");
        Assert.Equal("Sun, 11 Oct 2009 19:52:39 GMT\n/devstoreaccount1/devstoreaccount1/Tables?comp=acl", withComp);

        using var query = new HttpRequestMessage(HttpMethod.Get, "https://myaccount.table.core.windows.net/mytable()?$filter=PartitionKey%20eq%20'a'");
        query.Headers.TryAddWithoutValidation("x-ms-date", "Sun, 11 Oct 2009 19:52:39 GMT");
        var sts = SharedKeySigner.BuildLiteStringToSign(query, "myaccount");
        Assert.Equal("Sun, 11 Oct 2009 19:52:39 GMT\n/myaccount/mytable()", sts);
        Assert.Equal("197+oSxa5O+TDPVlt/I4hva6zM8zcG1uMeZBZ5uLy+Y=", SharedKeySigner.Sign(sts, Key));
    }

    [Fact]
    public void Entity_path_keeps_percent_encoding_in_the_signed_resource()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://a.table.core.windows.net/t(PartitionKey='p%20''q',RowKey='%C3%A9')");
        request.Headers.TryAddWithoutValidation("x-ms-date", "Sun, 11 Oct 2009 19:52:39 GMT");

        Assert.Equal(
            "Sun, 11 Oct 2009 19:52:39 GMT\n/a/t(PartitionKey='p%20''q',RowKey='%C3%A9')",
            SharedKeySigner.BuildLiteStringToSign(request, "a"));
    }
}
