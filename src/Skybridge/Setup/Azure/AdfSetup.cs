using System.Text.Json.Nodes;
using static Skybridge.Setup.Azure.ArmTemplate;

namespace Skybridge.Setup.Azure;

/// <summary>What the user asked for with <c>skybridge setup adf</c> (raw, unvalidated).</summary>
internal sealed record AdfSetupRequest
{
    public string? FactoryName { get; init; }
    public string? BrokerUrl { get; init; }
    public string? Audience { get; init; }
    public string? RoleArn { get; init; }
    public string? Bucket { get; init; }
    public string? Prefix { get; init; }
    public string? StorageAccount { get; init; }
    public string? Container { get; init; }
    public string? DestinationPath { get; init; }
    public bool AdlsGen2 { get; init; }
    /// <summary>How long the Copy activity is expected to take; sets the credential lifetime.</summary>
    public int? ExpectedCopyMinutes { get; init; }
    /// <summary>Resource id of the Container Apps job of pipeline (b); without it only pipeline (a) is generated.</summary>
    public string? JobResourceId { get; init; }
    public string? JobImage { get; init; }
    public string? JobDestinationUrl { get; init; }
}

/// <summary>
/// The validated Data Factory set-up: an ARM template for an EXISTING factory with the S3 linked
/// service (TemporarySecurityCredentials from SecureString parameters), the Blob / ADLS Gen2 linked
/// service (the factory's managed identity), two Binary datasets, and the pipelines
/// (a) <see cref="CopyPipeline"/>: Web activity -> broker -> Copy activity, and
/// (b) <see cref="JobPipeline"/>: start a Container Apps job running skybridge, poll it, map the outcome.
/// </summary>
internal sealed class AdfSetupPlan
{
    public const string S3LinkedService = "SkybridgeAmazonS3";
    public const string SinkLinkedService = "SkybridgeAzureStorage";
    public const string SourceDataset = "SkybridgeS3Binary";
    public const string SinkDataset = "SkybridgeAzureBinary";
    public const string CopyPipeline = "SkybridgeCopyWithBroker";
    public const string JobPipeline = "SkybridgeJob";
    public const string GetCredentials = "Get AWS credentials";
    public const string CopyActivity = "Copy S3 to Azure";
    public const string StartJob = "Start Skybridge job";
    public const string PollJob = "Get job execution";
    /// <summary>Azure Resource Manager's audience: what the factory's identity needs a token for to start the job.</summary>
    public const string ArmResource = "https://management.azure.com/";
    /// <summary>API version of the Container Apps job start / executions calls.</summary>
    public const string ContainerAppsApi = "2025-07-01";
    /// <summary>Stop the copy this long before the session expires: a clean timeout instead of 403s mid-object.</summary>
    public static readonly TimeSpan ExpiryMargin = TimeSpan.FromMinutes(5);

    private AdfSetupPlan() { }

    public required string FactoryName { get; init; }
    public required Uri BrokerUrl { get; init; }
    public required string Audience { get; init; }
    public required string RoleArn { get; init; }
    public required string Bucket { get; init; }
    public required string Prefix { get; init; }
    public required string StorageAccount { get; init; }
    public required string Container { get; init; }
    public required string DestinationPath { get; init; }
    public required bool AdlsGen2 { get; init; }
    /// <summary>Requested STS session length: the expected copy time plus a quarter plus the margin, 900..43200 s.</summary>
    public required int DurationSeconds { get; init; }
    public string? JobResourceId { get; init; }
    public string? JobImage { get; init; }
    public string? JobDestinationUrl { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }

    public static AdfSetupPlan Create(AdfSetupRequest r)
    {
        var factory = Required("--factory-name", r.FactoryName, "the existing Data Factory the linked services, datasets and pipelines are added to", "Pass --factory-name <factory>.");
        if (factory.Length is < 3 or > 63 || !factory.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') || !char.IsAsciiLetterOrDigit(factory[0]) || !char.IsAsciiLetterOrDigit(factory[^1]))
            throw SkybridgeException.Usage($"--factory-name '{factory}' is not a Data Factory name: 3-63 letters, digits and hyphens, starting and ending with a letter or digit.", "Pass the factory's name as the portal shows it.");
        var brokerText = Required("--broker-url", r.BrokerUrl, "the token broker the Web activity calls (skybridge setup broker deploys one)", "Pass --broker-url https://<broker host>/v1/credentials.");
        if (!Uri.TryCreate(brokerText, UriKind.Absolute, out var broker) || broker.Scheme != Uri.UriSchemeHttps || !string.IsNullOrEmpty(broker.Query) || !string.IsNullOrEmpty(broker.UserInfo))
            throw SkybridgeException.Usage($"--broker-url '{brokerText}' is not an https URL without query or user info: the reply carries AWS credentials and must never travel in clear text.",
                "Pass the broker's https address, e.g. https://skybridge-broker.<env>.<region>.azurecontainerapps.io/v1/credentials.");
        var audience = SetupValidation.Audience(r.Audience, 1);
        var roleArn = Required("--role-arn", r.RoleArn, "the IAM role the broker assumes for the factory", "Pass --role-arn arn:aws:iam::<account>:role/<name> (skybridge setup aws creates it).");
        var minutes = r.ExpectedCopyMinutes ?? 60;
        if (minutes is < 1 or > 10_000)
            throw SkybridgeException.Usage($"--expected-copy-minutes {minutes} is out of range 1..10000.", "Pass the copy's expected duration in minutes, e.g. 90.");
        var warnings = new List<string>();
        var wanted = TimeSpan.FromMinutes(minutes * 1.25) + ExpiryMargin;
        var duration = (int)Math.Clamp(Math.Ceiling(wanted.TotalSeconds), 900, 43200);
        if (wanted.TotalSeconds > 43200)
            warnings.Add($"A {minutes}-minute copy outlives the longest STS session (12 h): the Copy activity would lose its credentials mid-copy. Use the {JobPipeline} pipeline (skybridge refreshes credentials and resumes), or split the copy by prefix.");
        warnings.Add($"The role's MaxSessionDuration must be at least {duration} s (skybridge setup aws --max-session {Math.Max(3600, duration)}), or STS refuses the requested duration.");

        string? jobId = null, image = null, jobDest = null;
        if (!string.IsNullOrWhiteSpace(r.JobResourceId))
        {
            jobId = r.JobResourceId.Trim();
            if (!jobId.StartsWith("/subscriptions/", StringComparison.OrdinalIgnoreCase) || !jobId.Contains("/providers/Microsoft.App/jobs/", StringComparison.OrdinalIgnoreCase) || jobId.Any(char.IsWhiteSpace) || jobId.EndsWith('/'))
                throw SkybridgeException.Usage($"--job-id '{jobId}' is not a Container Apps job resource id.",
                    "Pass /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.App/jobs/<job> (az containerapp job show -n <job> -g <rg> --query id -o tsv).");
            image = Required("--job-image", r.JobImage, "the job's container image (a start request that overrides the arguments restates the container)", "Pass --job-image <registry>/skybridge:<tag>, the image the job was created with.");
            jobDest = Required("--job-destination", r.JobDestinationUrl, "the destination URL skybridge copies to", "Pass --job-destination https://<account>.blob.core.windows.net/<container>/<path>.");
        }
        else if (!string.IsNullOrWhiteSpace(r.JobImage) || !string.IsNullOrWhiteSpace(r.JobDestinationUrl))
            throw SkybridgeException.Usage("--job-image / --job-destination need --job-id: they configure the Skybridge job pipeline.", "Pass --job-id <Container Apps job resource id>, or drop them.");
        else
            warnings.Add($"No --job-id: only the {CopyPipeline} pipeline is generated; pass --job-id (skybridge setup container-apps-job creates the job) for the {JobPipeline} pipeline too.");

        return new AdfSetupPlan
        {
            FactoryName = factory,
            BrokerUrl = broker,
            Audience = audience,
            RoleArn = roleArn,
            Bucket = SetupValidation.Bucket(r.Bucket),
            Prefix = SetupValidation.Prefix(r.Prefix),
            StorageAccount = SetupValidation.StorageAccount(Required("--storage-account", r.StorageAccount, "the destination storage account", "Pass --storage-account <name>.")),
            Container = SetupValidation.Container(Required("--container", r.Container, "the destination container (ADLS Gen2: file system)", "Pass --container <name>.")),
            DestinationPath = (r.DestinationPath ?? "").Trim('/'),
            AdlsGen2 = r.AdlsGen2,
            DurationSeconds = duration,
            JobResourceId = jobId,
            JobImage = image,
            JobDestinationUrl = jobDest,
            Warnings = warnings,
        };
    }

    private static string Required(string option, string? value, string what, string fix) => HostingRecipes.Required(option, value, what, fix);
}

/// <summary>Renders an <see cref="AdfSetupPlan"/> as an ARM template (JSON nodes; see <see cref="ArmTemplate"/>).</summary>
internal static class AdfTemplate
{
    private const string AdfApi = "2018-06-01";
    private const string LinkedServices = "Microsoft.DataFactory/factories/linkedservices";
    private const string Datasets = "Microsoft.DataFactory/factories/datasets";
    private const string Pipelines = "Microsoft.DataFactory/factories/pipelines";

    public static ArmTemplate Build(AdfSetupPlan p)
    {
        var t = new ArmTemplate("Skybridge for an existing Data Factory: S3 via a token broker (no AWS key anywhere), Azure Storage via the factory's managed identity"
            + (p.JobResourceId is null ? "." : ", and a pipeline that runs skybridge as a Container Apps job."));
        t.Parameter("factoryName", "string", p.FactoryName, "Name of the existing Data Factory.");
        t.Parameter("brokerUrl", "string", p.BrokerUrl.ToString(), "The Skybridge token broker's credentials endpoint (https).");
        t.Parameter("audience", "string", p.Audience, "Federation audience: the Web activity's managed-identity resource; the AWS role trusts tokens for it.");
        t.Parameter("roleArn", "string", p.RoleArn, "IAM role the broker assumes for this factory (its trust pins sub = the factory's managed identity object id).");
        t.Parameter("bucket", "string", p.Bucket, "Source S3 bucket.");
        t.Parameter("s3ServiceUrl", "string", "https://s3.amazonaws.com", "S3 endpoint of the linked service.");
        t.Parameter("storageAccount", "string", p.StorageAccount, "Destination storage account (the factory's identity needs Storage Blob Data Contributor on the container).");
        t.Parameter("container", "string", p.Container, p.AdlsGen2 ? "Destination ADLS Gen2 file system." : "Destination blob container.");
        t.Parameter("durationSeconds", "int", p.DurationSeconds,
            $"STS session length asked of the broker: expected copy time x 1.25 + {AdfSetupPlan.ExpiryMargin.TotalMinutes:0} min, 900..43200. The Copy activity times out {AdfSetupPlan.ExpiryMargin.TotalMinutes:0} min before it.");

        t.Resource(S3LinkedServiceResource());
        t.Resource(SinkLinkedServiceResource(p));
        t.Resource(SourceDatasetResource());
        t.Resource(SinkDatasetResource(p));
        t.Resource(CopyPipelineResource(p));
        if (p.JobResourceId is not null)
        {
            t.Parameter("jobResourceId", "string", p.JobResourceId, "Resource id of the Container Apps job running skybridge (the factory's identity needs start and read on it: skybridge setup container-apps-job grants them).");
            t.Parameter("jobImage", "string", p.JobImage!, "The job's container image (restated in the start request that sets the arguments).");
            t.Parameter("jobDestination", "string", p.JobDestinationUrl!, "Default destination URL of the job pipeline.");
            t.Parameter("jobCommand", "string", "sync", "sync (default: copies what is missing or changed, so a rerun resumes) or copy.", "sync", "copy");
            t.Parameter("pollSeconds", "int", 60, "Seconds between two polls of the job execution.");
            t.Parameter("jobTimeout", "string", "0.23:00:00", "Longest wait for the job (d.hh:mm:ss, at most 7 days).");
            t.Resource(JobPipelineResource(p));
        }
        return t;
    }

    private static JsonObject S3LinkedServiceResource() => NewResource(LinkedServices, AdfApi, ChildName("factoryName", AdfSetupPlan.S3LinkedService), new JsonObject
    {
        ["type"] = "AmazonS3",
        ["description"] = "S3 with temporary credentials from the Skybridge broker, passed in per run as SecureString parameters: nothing stored, nothing to rotate.",
        ["parameters"] = SecureCredentialParameters(),
        ["typeProperties"] = new JsonObject
        {
            ["authenticationType"] = "TemporarySecurityCredentials",
            ["accessKeyId"] = "@{linkedService().accessKeyId}",
            ["secretAccessKey"] = new JsonObject { ["type"] = "SecureString", ["value"] = "@{linkedService().secretAccessKey}" },
            ["sessionToken"] = new JsonObject { ["type"] = "SecureString", ["value"] = "@{linkedService().sessionToken}" },
            ["serviceUrl"] = Param("s3ServiceUrl"),
        },
    });

    /// <summary>The three credential parameters, all SecureString (the access key id is not secret alone, but it names the session).</summary>
    private static JsonObject SecureCredentialParameters() => new()
    {
        ["accessKeyId"] = new JsonObject { ["type"] = "SecureString" },
        ["secretAccessKey"] = new JsonObject { ["type"] = "SecureString" },
        ["sessionToken"] = new JsonObject { ["type"] = "SecureString" },
    };

    private static JsonObject SinkLinkedServiceResource(AdfSetupPlan p) => NewResource(LinkedServices, AdfApi, ChildName("factoryName", AdfSetupPlan.SinkLinkedService), p.AdlsGen2
        ? new JsonObject
        {
            ["type"] = "AzureBlobFS",
            ["description"] = "ADLS Gen2 with the factory's system-assigned managed identity (no key, no SAS).",
            ["typeProperties"] = new JsonObject { ["url"] = Expr($"concat('https://', {P("storageAccount")}, '.dfs.core.windows.net/')") },
        }
        : new JsonObject
        {
            ["type"] = "AzureBlobStorage",
            ["description"] = "Blob Storage with the factory's system-assigned managed identity (no key, no SAS).",
            ["typeProperties"] = new JsonObject
            {
                ["serviceEndpoint"] = Expr($"concat('https://', {P("storageAccount")}, '.blob.core.windows.net/')"),
                ["accountKind"] = "StorageV2",
            },
        });

    private static JsonObject SourceDatasetResource() => NewResource(Datasets, AdfApi, ChildName("factoryName", AdfSetupPlan.SourceDataset), new JsonObject
    {
        ["type"] = "Binary",
        ["linkedServiceName"] = new JsonObject
        {
            ["referenceName"] = AdfSetupPlan.S3LinkedService,
            ["type"] = "LinkedServiceReference",
            ["parameters"] = new JsonObject
            {
                ["accessKeyId"] = "@dataset().accessKeyId",
                ["secretAccessKey"] = "@dataset().secretAccessKey",
                ["sessionToken"] = "@dataset().sessionToken",
            },
        },
        ["parameters"] = With(SecureCredentialParameters(), "prefix", new JsonObject { ["type"] = "String" }),
        ["typeProperties"] = new JsonObject
        {
            ["location"] = new JsonObject { ["type"] = "AmazonS3Location", ["bucketName"] = Param("bucket"), ["folderPath"] = "@dataset().prefix" },
        },
    }, ChildId(LinkedServices, "factoryName", AdfSetupPlan.S3LinkedService));

    private static JsonObject SinkDatasetResource(AdfSetupPlan p) => NewResource(Datasets, AdfApi, ChildName("factoryName", AdfSetupPlan.SinkDataset), new JsonObject
    {
        ["type"] = "Binary",
        ["linkedServiceName"] = new JsonObject { ["referenceName"] = AdfSetupPlan.SinkLinkedService, ["type"] = "LinkedServiceReference" },
        ["parameters"] = new JsonObject { ["path"] = new JsonObject { ["type"] = "String" } },
        ["typeProperties"] = new JsonObject
        {
            ["location"] = p.AdlsGen2
                ? new JsonObject { ["type"] = "AzureBlobFSLocation", ["fileSystem"] = Param("container"), ["folderPath"] = "@dataset().path" }
                : new JsonObject { ["type"] = "AzureBlobStorageLocation", ["container"] = Param("container"), ["folderPath"] = "@dataset().path" },
        },
    }, ChildId(LinkedServices, "factoryName", AdfSetupPlan.SinkLinkedService));

    /// <summary>Pipeline (a): broker -> Copy activity. Credentials exist only in SecureString parameters and secure inputs/outputs.</summary>
    private static JsonObject CopyPipelineResource(AdfSetupPlan p)
    {
        var copyTimeout = TimeSpan.FromSeconds(p.DurationSeconds) - AdfSetupPlan.ExpiryMargin;
        string Credential(string field) => $"@activity('{AdfSetupPlan.GetCredentials}').output.{field}";
        var activities = new JsonArray
        {
            Activity(AdfSetupPlan.GetCredentials, "WebActivity", [],
                // Output: the credentials (secure). Input: only the role and duration, secured as well
                // so the run history holds nothing an operator could replay.
                Policy("0.00:02:00", retry: 3, retryIntervalSeconds: 30, secureInput: true, secureOutput: true),
                new JsonObject
                {
                    ["method"] = "POST",
                    // Fixed at deployment, never a pipeline parameter: whoever can pick the URL of an MSI
                    // call receives the factory's token for the audience, i.e. could assume the role.
                    ["url"] = Param("brokerUrl"),
                    ["headers"] = new JsonObject { ["Content-Type"] = "application/json" },
                    ["body"] = new JsonObject { ["roleArn"] = Param("roleArn"), ["durationSeconds"] = "@pipeline().parameters.durationSeconds" },
                    ["authentication"] = new JsonObject { ["type"] = "MSI", ["resource"] = Param("audience") },
                }),
            Activity(AdfSetupPlan.CopyActivity, "Copy", [(AdfSetupPlan.GetCredentials, "Succeeded")],
                // No retry: a retry reuses the same (possibly expired) credentials; rerun the pipeline instead.
                // secureInput: the dataset parameters below carry the credentials.
                Policy(Timespan(copyTimeout), retry: 0, retryIntervalSeconds: 30, secureInput: true, secureOutput: false),
                new JsonObject
                {
                    ["source"] = new JsonObject
                    {
                        ["type"] = "BinarySource",
                        ["storeSettings"] = new JsonObject { ["type"] = "AmazonS3ReadSettings", ["recursive"] = true },
                        ["formatSettings"] = new JsonObject { ["type"] = "BinaryReadSettings" },
                    },
                    ["sink"] = new JsonObject
                    {
                        ["type"] = "BinarySink",
                        ["storeSettings"] = new JsonObject { ["type"] = p.AdlsGen2 ? "AzureBlobFSWriteSettings" : "AzureBlobStorageWriteSettings" },
                    },
                    ["enableStaging"] = false,
                },
                inputs: [Dataset(AdfSetupPlan.SourceDataset, new JsonObject
                {
                    ["accessKeyId"] = Credential("accessKeyId"),
                    ["secretAccessKey"] = Credential("secretAccessKey"),
                    ["sessionToken"] = Credential("sessionToken"),
                    ["prefix"] = "@pipeline().parameters.sourcePrefix",
                })],
                outputs: [Dataset(AdfSetupPlan.SinkDataset, new JsonObject { ["path"] = "@pipeline().parameters.destinationPath" })]),
            Activity("Explain a failed copy", "Fail", [(AdfSetupPlan.CopyActivity, "Failed")], null, new JsonObject
            {
                ["errorCode"] = "SkybridgeCopyFailed",
                ["message"] = $"@concat('The copy failed: ', activity('{AdfSetupPlan.CopyActivity}').error.message, ' If it ran past ', activity('{AdfSetupPlan.GetCredentials}').output.expiration, ' (when the STS session ended), raise durationSeconds (and the role''s MaxSessionDuration) or use the {AdfSetupPlan.JobPipeline} pipeline, which refreshes credentials and resumes.')",
            }),
        };
        return NewResource(Pipelines, AdfApi, ChildName("factoryName", AdfSetupPlan.CopyPipeline), new JsonObject
        {
            ["description"] = $"Copy S3 -> Azure with temporary credentials from the Skybridge broker. The session lasts durationSeconds; the Copy activity times out {AdfSetupPlan.ExpiryMargin.TotalMinutes:0} min before that (a copy that would outlive its credentials fails cleanly and can be rerun: Binary copies skip nothing, so prefer {AdfSetupPlan.JobPipeline} for long or resumable copies).",
            ["parameters"] = new JsonObject
            {
                ["sourcePrefix"] = new JsonObject { ["type"] = "String", ["defaultValue"] = AdfLiteral(p.Prefix) },
                ["destinationPath"] = new JsonObject { ["type"] = "String", ["defaultValue"] = AdfLiteral(p.DestinationPath) },
                ["durationSeconds"] = new JsonObject { ["type"] = "Int", ["defaultValue"] = Param("durationSeconds") },
            },
            ["activities"] = activities,
        }, ChildId(Datasets, "factoryName", AdfSetupPlan.SourceDataset), ChildId(Datasets, "factoryName", AdfSetupPlan.SinkDataset));
    }

    /// <summary>Pipeline (b): start the Container Apps job (ARM, factory identity), poll until it ends, fail with the outcome's meaning.</summary>
    private static JsonObject JobPipelineResource(AdfSetupPlan p)
    {
        var arm = new JsonObject { ["type"] = "MSI", ["resource"] = AdfSetupPlan.ArmResource };
        // The job, its image and the command are fixed at deployment (variables and literals, not
        // parameters): a run may choose what to copy, not which code runs with the job's identity.
        var start = $"@concat('https://management.azure.com', variables('jobResourceId'), '/start?api-version={AdfSetupPlan.ContainerAppsApi}')";
        var poll = $"@concat('https://management.azure.com', variables('jobResourceId'), '/executions/', activity('{AdfSetupPlan.StartJob}').output.name, '?api-version={AdfSetupPlan.ContainerAppsApi}')";
        var activities = new JsonArray
        {
            Activity(AdfSetupPlan.StartJob, "WebActivity", [],
                // Output: the execution's name and id only; no credential anywhere in this pipeline.
                // No retry: a start whose reply was lost may have started an execution already.
                Policy("0.00:05:00", retry: 0, retryIntervalSeconds: 30, secureInput: false, secureOutput: false),
                new JsonObject
                {
                    ["method"] = "POST",
                    ["url"] = start,
                    ["headers"] = new JsonObject { ["Content-Type"] = "application/json" },
                    ["body"] = new JsonObject
                    {
                        ["containers"] = new JsonArray(new JsonObject
                        {
                            ["name"] = "skybridge",
                            ["image"] = Param("jobImage"),
                            ["args"] = new JsonArray(Param("jobCommand"), "@pipeline().parameters.source", "@pipeline().parameters.destination", "--output", "json"),
                        }),
                    },
                    ["authentication"] = arm.DeepClone(),
                    // The start call answers 202 with a Location; the Until below does the waiting.
                    ["turnOffAsync"] = true,
                }),
            Activity("Wait for the job", "Until", [(AdfSetupPlan.StartJob, "Succeeded")], null, new JsonObject
            {
                ["expression"] = new JsonObject { ["type"] = "Expression", ["value"] = "@not(contains(createArray('Running', 'Processing', 'Unknown'), variables('jobStatus')))" },
                ["timeout"] = Param("jobTimeout"),
                ["activities"] = new JsonArray
                {
                    Activity("Pause between polls", "Wait", [], null, new JsonObject { ["waitTimeInSeconds"] = Param("pollSeconds") }),
                    Activity(AdfSetupPlan.PollJob, "WebActivity", [("Pause between polls", "Succeeded")],
                        Policy("0.00:02:00", retry: 3, retryIntervalSeconds: 30, secureInput: false, secureOutput: false),
                        new JsonObject { ["method"] = "GET", ["url"] = poll, ["authentication"] = arm.DeepClone() }),
                    Activity("Remember the status", "SetVariable", [(AdfSetupPlan.PollJob, "Succeeded")], null, new JsonObject
                    {
                        ["variableName"] = "jobStatus",
                        ["value"] = $"@activity('{AdfSetupPlan.PollJob}').output.properties.status",
                    }),
                },
            }),
            Activity("Map the outcome", "Switch", [("Wait for the job", "Succeeded")], null, new JsonObject
            {
                ["on"] = new JsonObject { ["type"] = "Expression", ["value"] = "@variables('jobStatus')" },
                ["cases"] = new JsonArray
                {
                    Case("Failed", "SkybridgeJobFailed",
                        "ended Failed: skybridge exited non-zero. 1 = some objects failed (the rest are committed and verified; rerun the pipeline: sync copies only what is missing or changed), 2 = usage or configuration error (nothing was changed), 3 = authentication or authorisation refused (Entra ID, STS, S3 or Storage). The execution's console log has the error: and fix: lines."),
                    Case("Stopped", "SkybridgeJobStopped",
                        "was stopped (exit 130 meaning: interrupted, no partial blob left). Rerun the pipeline: sync copies only what is missing."),
                    Case("Degraded", "SkybridgeJobDegraded",
                        "ended Degraded: Container Apps could not run it to completion (image, identity or environment). Check the job's system log."),
                },
            }),
        };
        return NewResource(Pipelines, AdfApi, ChildName("factoryName", AdfSetupPlan.JobPipeline), new JsonObject
        {
            ["description"] = "Run skybridge sync (or copy) as a Container Apps job with the job's own managed identity: credentials are refreshed for as long as the copy runs, every object is verified, an interrupted run resumes. The factory's identity only starts and reads the job.",
            ["parameters"] = new JsonObject
            {
                ["source"] = new JsonObject { ["type"] = "String", ["defaultValue"] = Expr($"concat('s3://', {P("bucket")}, {Quote("/" + p.Prefix)})") },
                ["destination"] = new JsonObject { ["type"] = "String", ["defaultValue"] = Param("jobDestination") },
            },
            ["variables"] = new JsonObject
            {
                ["jobStatus"] = new JsonObject { ["type"] = "String", ["defaultValue"] = "Running" },
                ["jobResourceId"] = new JsonObject { ["type"] = "String", ["defaultValue"] = Param("jobResourceId") },
            },
            ["activities"] = activities,
        });
    }

    private static JsonObject Case(string status, string errorCode, string meaning) => new()
    {
        ["value"] = status,
        ["activities"] = new JsonArray(Activity($"Job {status.ToLowerInvariant()}", "Fail", [], null, new JsonObject
        {
            ["errorCode"] = errorCode,
            ["message"] = $"@concat('Skybridge job execution ', activity('{AdfSetupPlan.StartJob}').output.name, ' {meaning.Replace("'", "''", StringComparison.Ordinal)}')",
        })),
    };

    private static JsonObject Activity(string name, string type, (string Activity, string Condition)[] dependsOn, JsonObject? policy, JsonObject typeProperties,
        JsonObject[]? inputs = null, JsonObject[]? outputs = null)
    {
        var a = new JsonObject
        {
            ["name"] = name,
            ["type"] = type,
            ["dependsOn"] = new JsonArray([.. dependsOn.Select(d => (JsonNode)new JsonObject { ["activity"] = d.Activity, ["dependencyConditions"] = new JsonArray(d.Condition) })]),
        };
        if (policy is not null) a["policy"] = policy;
        if (inputs is not null) a["inputs"] = new JsonArray([.. inputs.Select(i => (JsonNode)i)]);
        if (outputs is not null) a["outputs"] = new JsonArray([.. outputs.Select(o => (JsonNode)o)]);
        a["typeProperties"] = typeProperties;
        return a;
    }

    private static JsonObject Policy(string timeout, int retry, int retryIntervalSeconds, bool secureInput, bool secureOutput) => new()
    {
        ["timeout"] = timeout,
        ["retry"] = retry,
        ["retryIntervalInSeconds"] = retryIntervalSeconds,
        ["secureInput"] = secureInput,
        ["secureOutput"] = secureOutput,
    };

    private static JsonObject Dataset(string name, JsonObject parameters) => new()
    {
        ["referenceName"] = name,
        ["type"] = "DatasetReference",
        ["parameters"] = parameters,
    };

    private static JsonObject With(JsonObject o, string key, JsonNode value)
    {
        o[key] = value;
        return o;
    }

    /// <summary>A literal for both evaluators: ARM's '[' and Data Factory's '@' are doubled at the start.</summary>
    private static string AdfLiteral(string text) => Literal(text.StartsWith('@') ? "@" + text : text);

    /// <summary>d.hh:mm:ss as ADF timeouts take it.</summary>
    internal static string Timespan(TimeSpan t) => $"{t.Days}.{t.Hours:00}:{t.Minutes:00}:{t.Seconds:00}";
}
