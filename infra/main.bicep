// IdpServerless in Azure: a Linux Function App running the .NET 10 isolated worker (HTTP through ASP.NET Core
// integration, Storage queue and timer triggers, Durable Functions on the Azure Storage provider), its storage
// (tables, queues, blobs, the task hub), Application Insights, a Key Vault for `keyvault:` secret references, and the
// browser app as a Static Web App with the Function App linked as its /api backend.
// Nothing holds a storage key: the account refuses shared keys and the app connects with its system-assigned identity.
targetScope = 'resourceGroup'

@description('Short name used to derive resource names (3-11 lowercase letters/digits).')
@minLength(3)
@maxLength(11)
param name string

param location string = resourceGroup().location

@description('Entra ID (OIDC) authority for bearer tokens, e.g. https://login.microsoftonline.com/<tenant>/v2.0')
param oidcAuthority string

@description('Audience (application ID URI or client id) the API accepts.')
param oidcAudience string

@description('Comma-separated catalog user refs made platform-admins on first start, e.g. user:default/jane')
param bootstrapAdmins string

@description('Location of the Static Web App (it is offered in a few regions only).')
param staticWebAppLocation string = 'westeurope'

@description('Hosting plan: FlexConsumption (FC1, scales to zero, the default) or ElasticPremium (EP1, always at least one warm instance). Fixed at creation: an app cannot move between the two.')
@allowed([ 'FlexConsumption', 'ElasticPremium' ])
param plan string = 'FlexConsumption'

@description('Most instances the app scales out to. Flex Consumption: 1-1000. Elastic Premium: capped at 20, the Linux limit in every region.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Flex Consumption only: instances kept warm per scale group (http, durable, blob, or function:<name>). [] scales to zero.')
param alwaysReady alwaysReadyGroup[] = [
  { name: 'http', instanceCount: 1 }
]

@description('Durable Functions task hub on the storage account (3-45 letters or digits, starting with a letter).')
@minLength(3)
@maxLength(45)
param durableTaskHub string = 'idp'

@description('Accept only Entra ID (managed identity) telemetry in Application Insights, no instrumentation-key ingestion.')
param insightsEntraAuthOnly bool = false

@description('One Flex Consumption always-ready entry.')
type alwaysReadyGroup = {
  @description('Scale group: http, durable, blob, or function:<FunctionName>')
  name: string
  @minValue(0)
  instanceCount: int
}

var isFlex = plan == 'FlexConsumption'
var suffix = uniqueString(resourceGroup().id, name)
var storageName = toLower('${name}${take(suffix, 12)}')
var packageContainer = 'app-package'
// Elastic Premium without an Azure Files content share (it would need an account key) runs the package from this blob.
var premiumPackageUrl = '${storage.properties.primaryEndpoints.blob}${packageContainer}/idp.zip'
var webOrigin = 'https://${web.properties.defaultHostname}'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  sku: { name: 'Standard_ZRS' }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    supportsHttpsTrafficOnly: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

// Flex Consumption: the deployment source (the platform writes each published package here with the app's identity).
// Elastic Premium: where the package is uploaded for WEBSITE_RUN_FROM_PACKAGE.
resource packages 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: packageContainer
  properties: { publicAccess: 'None' }
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${name}-logs'
  location: location
  properties: { sku: { name: 'PerGB2018' }, retentionInDays: 30 }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${name}-ai'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    DisableLocalAuth: insightsEntraAuthOnly
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: '${name}-kv-${take(suffix, 6)}'
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
  }
}

resource hostingPlan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${name}-plan'
  location: location
  sku: isFlex ? { name: 'FC1', tier: 'FlexConsumption' } : { name: 'EP1', tier: 'ElasticPremium' }
  kind: isFlex ? 'functionapp' : 'elastic'
  properties: isFlex ? { reserved: true } : { reserved: true, maximumElasticWorkerCount: min(maximumInstanceCount, 20) }
}

resource web 'Microsoft.Web/staticSites@2024-04-01' = {
  name: '${name}-web'
  location: staticWebAppLocation
  sku: { name: 'Standard', tier: 'Standard' }
  properties: {}
}

// Settings of both plans. The host and the worker read AzureWebJobsStorage__* for the triggers, the Durable task hub
// and the app's own tables, queues and blobs (system-assigned identity: no __clientId).
var commonSettings = [
  { name: 'AzureWebJobsStorage__accountName', value: storage.name }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD' }
  { name: 'Durable__TaskHub', value: durableTaskHub }
  // Every %setting% a trigger names must resolve, or the host refuses to index the function (values are the app's defaults).
  { name: 'Catalog__RefreshQueue', value: 'catalog-refresh' }
  { name: 'Catalog__RefreshSchedule', value: '0 */5 * * * *' }
  { name: 'Docs__BuildQueue', value: 'docs-build' }
  { name: 'Docs__RefreshSchedule', value: '0 */1 * * * *' }
  { name: 'Durable__HealthCheckSchedule', value: '0 */5 * * * *' }
  { name: 'Diagnostics__ProbeQueue', value: 'diagnostics-probe' }
  { name: 'IDP_MODE', value: 'production' }
  { name: 'IDP_OIDC_AUTHORITY', value: oidcAuthority }
  { name: 'IDP_OIDC_AUDIENCE', value: oidcAudience }
  { name: 'IDP_BOOTSTRAP_ADMINS', value: bootstrapAdmins }
  { name: 'IDP_CORS_ORIGINS', value: webOrigin }
  { name: 'IDP_KEYVAULT_URL', value: vault.properties.vaultUri }
]

// Elastic Premium only: Flex Consumption takes the runtime and its version from functionAppConfig and refuses these.
var premiumSettings = [
  { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
  { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'dotnet-isolated' }
  { name: 'WEBSITE_RUN_FROM_PACKAGE', value: premiumPackageUrl }
]

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: '${name}-func-${take(suffix, 6)}'
  location: location
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: hostingPlan.id
    httpsOnly: true
    // Flex Consumption only (Elastic Premium takes the runtime from linuxFxVersion and the app settings below).
    functionAppConfig: isFlex ? {
      runtime: { name: 'dotnet-isolated', version: '10.0' }
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${packageContainer}'
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: 2048
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: alwaysReady
      }
    } : null
    siteConfig: {
      linuxFxVersion: isFlex ? null : 'DOTNET-ISOLATED|10.0'
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      cors: { allowedOrigins: [ webOrigin ], supportCredentials: true }
      appSettings: concat(commonSettings, isFlex ? [] : premiumSettings)
    }
  }
  dependsOn: [ packages ]
}

// Data-plane roles of the app's identity (the account accepts no keys, so these are all the access there is):
// - Blob Data Owner: the host's leases and keys, the Durable task hub's leases and large messages, the Flex deployment
//   package (and the Premium run-from-package blob), our own blobs and large queue messages.
// - Queue Data Contributor: queue triggers (read, delete, poison queues), the Durable control and work-item queues, our
//   own enqueues; it includes what Queue Data Message Processor grants.
// - Table Data Contributor: the Durable Instances/History/Partitions tables and our own tables.
var storageRoles = [
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
]

resource storageAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in storageRoles: {
  name: guid(storage.id, app.id, role)
  scope: storage
  properties: {
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
  }
}]

// `keyvault:` secret references (and any @Microsoft.KeyVault(...) app setting) are read with the app's identity.
resource vaultAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, app.id, 'secrets-user')
  scope: vault
  properties: {
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6') // Key Vault Secrets User
  }
}

// Telemetry sent with Entra ID (APPLICATIONINSIGHTS_AUTHENTICATION_STRING) needs this role on the component.
resource insightsAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, app.id, 'metrics-publisher')
  scope: insights
  properties: {
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '3913510d-42f4-4e42-8a64-420c390055eb') // Monitoring Metrics Publisher
  }
}

// The Static Web App proxies /api/* to the Function App.
resource backend 'Microsoft.Web/staticSites/linkedBackends@2024-04-01' = {
  parent: web
  name: 'api'
  properties: { backendResourceId: app.id, region: location }
}

output functionAppName string = app.name
output functionAppHostName string = app.properties.defaultHostName
output staticWebAppHostName string = web.properties.defaultHostname
output storageAccountName string = storage.name
output keyVaultUri string = vault.properties.vaultUri
