var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseUrls("http://0.0.0.0:${{ values.port }}");
var app = builder.Build();

app.MapGet("/health", () => Results.Ok(new { status = "Healthy", service = "${{ values.name }}" }));
app.MapGet("/", () => "Hello from ${{ values.name }}");

app.Run();
