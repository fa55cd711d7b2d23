using IdpServerless.Storage;

namespace IdpServerless.Tests.Storage;

public class TableKeysAndFilterTests
{
    [Theory]
    [InlineData("plain-key_1.2")]
    [InlineData("a/b\\c#d?e")]
    [InlineData("100%")]
    [InlineData("%2F already looks escaped")]
    [InlineData("tab\tnew\nline\u0000nul\u007fdel\u009fc1")]
    [InlineData("ünïcødé ✓ 𝄞")]
    [InlineData("")]
    public void Escape_round_trips_and_leaves_no_forbidden_characters(string key)
    {
        var escaped = TableKeys.Escape(key);

        Assert.Equal(key, TableKeys.Unescape(escaped));
        Assert.DoesNotContain(escaped, c => c is '/' or '\\' or '#' or '?' || char.IsControl(c));
    }

    [Fact]
    public void Escape_of_a_legal_key_is_the_same_string()
    {
        const string key = "components:team-a";
        Assert.Same(key, TableKeys.Escape(key));
    }

    [Fact]
    public void Escape_uses_percent_hex()
    {
        Assert.Equal("a%2Fb%25c%0A", TableKeys.Escape("a/b%c\n"));
    }

    [Fact]
    public void Random_strings_round_trip()
    {
        var random = new Random(12345);
        for (var i = 0; i < 2000; i++)
        {
            var chars = new char[random.Next(0, 40)];
            for (var j = 0; j < chars.Length; j++)
            {
                chars[j] = (char)random.Next(0, 0xD7FF);
            }

            var key = new string(chars);
            Assert.Equal(key, TableKeys.Unescape(TableKeys.Escape(key)));
        }
    }

    [Theory]
    [InlineData("abc%")]
    [InlineData("abc%4")]
    [InlineData("abc%ZZ")]
    public void Unescape_rejects_malformed_escapes(string key) =>
        Assert.Throws<FormatException>(() => TableKeys.Unescape(key));

    [Fact]
    public void Quote_doubles_single_quotes()
    {
        Assert.Equal("'it''s'", TableFilter.Quote("it's"));
        Assert.Equal("Name eq 'O''Brien'", TableFilter.Eq("Name", "O'Brien"));
    }

    [Fact]
    public void Typed_literals_follow_odata_syntax()
    {
        Assert.Equal("Size eq 5000000000L", TableFilter.Eq("Size", 5_000_000_000L));
        Assert.Equal("Id eq guid'00000000-0000-0000-0000-000000000001'", TableFilter.Eq("Id", new Guid("00000000-0000-0000-0000-000000000001")));
        Assert.Equal("At ge datetime'2026-01-02T03:04:05.0000000Z'", TableFilter.Ge("At", new DateTimeOffset(2026, 1, 2, 4, 4, 5, TimeSpan.FromHours(1))));
        Assert.Equal("(A eq 'x') and (B eq true)", TableFilter.And(TableFilter.Eq("A", "x"), TableFilter.Eq("B", true)));
        Assert.Equal("A eq 'x'", TableFilter.Or(null, TableFilter.Eq("A", "x"), ""));
    }

    [Fact]
    public void Partition_key_prefix_is_a_tight_half_open_range()
    {
        Assert.Equal("(PartitionKey ge 'team-a') and (PartitionKey lt 'team-b')", TableFilter.PartitionKeyPrefix("team-a"));
        Assert.Equal("(RowKey ge 'o''') and (RowKey lt 'o(')", TableFilter.RowKeyPrefix("o'"));
        Assert.Equal("PartitionKey ge ''", TableFilter.PartitionKeyPrefix(string.Empty));
    }
}
