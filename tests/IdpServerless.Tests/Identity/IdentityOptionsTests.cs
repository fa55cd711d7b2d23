using IdpServerless.Functions.Identity;
using Microsoft.Extensions.Configuration;

namespace IdpServerless.Tests.Identity;

/// <summary>The identity settings as the app reads them at start: issuers, Entra ID and the claim map, and what stops it.</summary>
public class IdentityOptionsTests
{
    private static IdentityOptions Read(params (string Key, string Value)[] settings) =>
        IdentityOptions.From(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build());

    [Fact]
    public void Further_issuers_are_read_in_number_order_each_with_its_own_audiences()
    {
        var options = Read(
            ("IDP_OIDC_AUTHORITY", "https://idp.example/"),
            ("IDP_OIDC_AUDIENCE", "api://one"),
            ("IDP_OIDC_AUTHORITY_10", "https://ten.example"),
            ("IDP_OIDC_AUTHORITY_2", "https://two.example/realms/corp"),
            ("IDP_OIDC_AUDIENCE_2", "api://two, api://two-b"));

        Assert.Equal(["https://idp.example", "https://two.example/realms/corp", "https://ten.example"], options.OidcIssuers.Select(i => i.Issuer));
        Assert.Equal(["api://two", "api://two-b"], options.OidcIssuers[1].Audiences);
        Assert.Empty(options.OidcIssuers[2].Audiences);
        var off = Assert.Single(options.FeaturesOff());
        Assert.Equal(["IDP_OIDC_AUDIENCE_10"], off.Settings);
    }

    [Theory]
    [InlineData("IDP_OIDC_AUTHORITY", "http://idp.example", "https")]
    [InlineData("IDP_OIDC_AUTHORITY", "https://a.example,https://b.example", "IDP_OIDC_AUTHORITY_2")]
    [InlineData("IDP_OIDC_AUTHORITY_1", "https://a.example", "numbered from 2")]
    [InlineData("IDP_ENTRA_TENANT_ID", "contoso.onmicrosoft.com", "GUID")]
    [InlineData("IDP_ROLE_CLAIM_MAP", "Portal.Admin", "claim-value=role-or-group")]
    [InlineData("IDP_ROLE_CLAIM_MAP", "Portal.Admin=superuser", "neither a role")]
    public void A_setting_that_makes_no_sense_stops_the_app_naming_it(string key, string value, string why)
    {
        var settings = new List<(string, string)> { (key, value) };
        if (key == "IDP_ENTRA_TENANT_ID")
        {
            settings.Add(("IDP_ENTRA_CLIENT_ID", Guid.NewGuid().ToString()));
        }

        var e = Assert.Throws<InvalidOperationException>(() => Read([.. settings]));
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_issuer_twice_stops_the_app()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Read(("IDP_OIDC_AUTHORITY", "https://idp.example"), ("IDP_OIDC_AUTHORITY_2", "https://idp.example/")));
        Assert.Contains("IDP_OIDC_AUTHORITY and IDP_OIDC_AUTHORITY_2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_entra_tenant_accepts_its_v2_and_v1_issuers_and_the_claim_map_names_roles_and_groups()
    {
        var tenant = Guid.NewGuid();
        var options = Read(
            ("IDP_ENTRA_TENANT_ID", tenant.ToString("D").ToUpperInvariant()),
            ("IDP_ENTRA_CLIENT_ID", "6e74172b-be56-4843-9ff4-e66a39bb12e3"),
            ("IDP_ROLE_CLAIM_MAP", "Portal.Admin=platform-admin; 0c1d=group:sre"));

        var entra = Assert.IsType<EntraSettings>(options.Entra);
        Assert.Equal([$"https://login.microsoftonline.com/{tenant}/v2.0", $"https://sts.windows.net/{tenant}/"], entra.TokenIssuers);
        Assert.Equal([new ClaimGrant("Portal.Admin", "platform-admin", null), new ClaimGrant("0c1d", null, "group:default/sre")], options.ClaimGrants);
        Assert.DoesNotContain(options.FeaturesOff(), f => f.Feature.StartsWith("Bearer", StringComparison.Ordinal));
    }
}
