using IdpServerless.Functions.ChatOps;
using IdpServerless.Functions.Deployments;

namespace IdpServerless.Tests.ChatOps;

/// <summary>How chat text becomes a command.</summary>
public class ChatCommandParserTests
{
    [Fact]
    public void Short_component_names_mean_the_default_namespace_and_full_refs_are_kept()
    {
        Assert.Equal(new ChatCommand("deploy", "component:default/payments-api", "prod", "1.2.3"), ChatCommandParser.Parse("deploy payments-api prod 1.2.3"));
        Assert.Equal(new ChatCommand("status", "component:team-a/orders"), ChatCommandParser.Parse("status component:team-a/orders"));
        Assert.Equal(new ChatCommand("status", "component:team-a/orders"), ChatCommandParser.Parse("  status   team-a/orders "));
    }

    [Fact]
    public void Every_verb_parses_to_its_command()
    {
        Assert.Equal(new ChatCommand("rollback", "component:default/web", "staging", null), ChatCommandParser.Parse("rollback web staging"));
        Assert.Equal(new ChatCommand("promote", "component:default/web", "staging", ToEnvironment: "prod"), ChatCommandParser.Parse("promote web staging prod"));
        Assert.Equal(new ChatCommand("canary", "component:default/web", "prod", Control: DeploymentControls.Abort), ChatCommandParser.Parse("canary abort web prod"));
        Assert.Equal(new ChatCommand("canary", "component:default/web", "prod", Control: DeploymentControls.Promote), ChatCommandParser.Parse("canary PROMOTE web prod"));
        Assert.Equal(new ChatCommand("approve", DeploymentId: "d-42"), ChatCommandParser.Parse("approve d-42"));
        Assert.Equal(new ChatCommand("reject", DeploymentId: "d-42"), ChatCommandParser.Parse("reject d-42"));
        Assert.Equal(new ChatCommand("whoami"), ChatCommandParser.Parse("whoami"));
        Assert.Equal(new ChatCommand("help"), ChatCommandParser.Parse(""));
    }

    [Theory]
    [InlineData("deploy", "That is not how `deploy` goes")]
    [InlineData("deploy web", "That is not how `deploy` goes")]
    [InlineData("canary fly web prod", "That is not how `canary` goes")]
    [InlineData("deploy Not_Valid! prod", "is not a component ref")]
    [InlineData("deploy api:default/x prod", "is not a component ref")]
    [InlineData("deploy web pr/od", "is not an environment name")]
    [InlineData("launch web", "I do not know `launch`")]
    public void Malformed_commands_say_what_is_wrong(string text, string expected)
    {
        var e = Assert.Throws<ChatUsageException>(() => ChatCommandParser.Parse(text));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
