using System.Text;
using IdpServerless.Functions.Deployments.GitOps;

namespace IdpServerless.Tests.Deployments;

public class DesiredStateFilesTests
{
    [Fact]
    public void A_canary_renders_both_versions_and_the_route_weights_and_reads_back()
    {
        var state = DesiredState.Canary("component:shop/payments-api", "payments-api", "prod", "registry.local/payments-api", "1.0", "1.10", 20, 4);

        var files = DesiredStateFiles.Render("prod", state, "payments").ToDictionary(c => c.Path, c => Encoding.UTF8.GetString(c.Content!));

        Assert.Equal(["prod/values.yaml", "prod/workloads.yaml", "prod/httproute.yaml"], files.Keys);
        var route = files["prod/httproute.yaml"];
        Assert.Contains("kind: HTTPRoute", route, StringComparison.Ordinal);
        Assert.Contains("- name: payments-api-stable\n          port: 80\n          weight: 80", route, StringComparison.Ordinal);
        Assert.Contains("- name: payments-api-canary\n          port: 80\n          weight: 20", route, StringComparison.Ordinal);
        Assert.Contains("image: \"registry.local/payments-api:1.10\"", files["prod/workloads.yaml"], StringComparison.Ordinal);
        var back = DesiredStateFiles.ParseValues(Encoding.UTF8.GetBytes(files["prod/values.yaml"]));
        Assert.NotNull(back);
        Assert.Equal(state.Tracks, back.Tracks);
        Assert.Equal("1.0", back.ServingVersion);
        Assert.Equal("1.10", back.Find(Tracks.Canary)!.Version);
    }

    [Fact]
    public void Blue_green_keeps_the_active_colour()
    {
        var state = DesiredState.BlueGreen("component:shop/web", "web", "staging", "img/web", Tracks.Green, "2.0", "1.0", 2, 2);

        var back = DesiredStateFiles.ParseValues(Encoding.UTF8.GetBytes(DesiredStateFiles.RenderValues(state)))!;

        Assert.Equal(Tracks.Green, back.ActiveColor);
        Assert.Equal("2.0", back.ServingVersion);
        Assert.Equal(0, back.Find(Tracks.Blue)!.Weight);
    }

    [Fact]
    public void Files_that_are_not_desired_state_read_as_nothing()
    {
        Assert.Null(DesiredStateFiles.ParseValues(null));
        Assert.Null(DesiredStateFiles.ParseValues(Encoding.UTF8.GetBytes("image: nginx\n")));
        Assert.Null(DesiredStateFiles.ParseValues(Encoding.UTF8.GetBytes("tracks: [")));
    }
}
