// orders-api: one X-Ray segment per request (AWSXRayRecorder's ASP.NET Core
// middleware sends it over UDP to AWS_XRAY_DAEMON_ADDRESS, which xraybake
// sets). On SIGTERM (docker stop, ECS) the host stops taking requests,
// finishes the open ones and exits 0; xraybake-init then gives the daemon
// flush_grace to send.
using Amazon.XRay.Recorder.Core;

var builder = WebApplication.CreateBuilder(args);
builder.Host.ConfigureHostOptions(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
AWSXRayRecorder.InitializeInstance(builder.Configuration);  // the "XRay" section of appsettings.json

var app = builder.Build();
app.UseXRay("orders-api");

app.MapGet("/orders/{id:int}", (int id) => Results.Ok(new { id, status = "shipped", totalCents = 1999 + id }));
app.MapGet("/healthz", () => Results.Ok(new { status = "Healthy" }));

app.Run();
