using System.Diagnostics;
using IdpServerless.Functions.Infrastructure;
using IdpServerless.Hosting.CustomHandler;
using IdpServerless.Tests.Infrastructure;

namespace IdpServerless.Tests.Hosting;

public class PublishedMetadataTests
{
    [Fact]
    public async Task Published_function_json_files_match_the_registry_and_host_json_is_in_the_app_root()
    {
        var output = Path.Combine(Path.GetTempPath(), "idp-publish-" + Guid.NewGuid().ToString("N"));
        try
        {
            var psi = new ProcessStartInfo("dotnet", $"publish \"{Path.Combine(RepoPaths.Root, "functions", "IdpServerless.Functions")}\" -c {RepoPaths.Configuration} --no-restore --nologo -v quiet -o \"{output}\"")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
            Assert.True(p.ExitCode == 0, $"publish failed:\n{await stdout}\n{await stderr}");

            var expected = FunctionMetadataWriter.Render(FunctionMetadataCommand.BuildRegistry());
            var published = Directory.GetDirectories(output)
                .Where(d => File.Exists(Path.Combine(d, "function.json")))
                .ToDictionary(d => Path.GetFileName(d), d => File.ReadAllText(Path.Combine(d, "function.json")).TrimEnd());
            Assert.Equal(expected.Keys.Order(), published.Keys.Order());
            foreach (var (name, json) in expected)
            {
                Assert.Equal(json, published[name]);
            }

            Assert.True(File.Exists(Path.Combine(output, "host.json")));
            Assert.Contains("\"customHandler\"", File.ReadAllText(Path.Combine(output, "host.json")), StringComparison.Ordinal);
            Assert.Contains(expected.Keys, k => k == "DiagnosticsProbe");
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }
}
