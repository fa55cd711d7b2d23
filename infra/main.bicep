// IdpServerless in Azure: a Linux Function App running the custom handler, its storage (tables, queues, blobs),
// Application Insights, a Key Vault for secret references, and the browser app as a Static Web App.
// The Function App reaches storage with its managed identity (no account key in settings).
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

var suffix = uniqueString(resourceGroup().id, name)
var storageName = toLower('${name}${take(suffix, 12)}')

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  sku: { name: 'Standard_ZRS' }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    supportsHttpsTrafficOnly: true
  }
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
  properties: { Application_Type: 'web', WorkspaceResourceId: logs.id }
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

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${name}-plan'
  location: location
  sku: { name: 'EP1', tier: 'ElasticPremium' }
  kind: 'elastic'
  properties: { reserved: true, maximumElasticWorkerCount: 20 }
}

resource web 'Microsoft.Web/staticSites@2023-12-01' = {
  name: '${name}-web'
  location: staticWebAppLocation
  sku: { name: 'Standard', tier: 'Standard' }
  properties: {}
}

resource app 'Microsoft.Web/sites@2023-12-01' = {
  name: '${name}-func-${take(suffix, 6)}'
  location: location
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: 'DOTNET-ISOLATED|10.0'
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      cors: { allowedOrigins: [ 'https://${web.properties.defaultHostname}' ], supportCredentials: true }
      appSettings: [
        { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
        { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'Custom' }
        { name: 'AzureWebJobsStorage__accountName', value: storage.name }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
        { name: 'IDP_MODE', value: 'production' }
        { name: 'IDP_OIDC_AUTHORITY', value: oidcAuthority }
        { name: 'IDP_OIDC_AUDIENCE', value: oidcAudience }
        { name: 'IDP_BOOTSTRAP_ADMINS', value: bootstrapAdmins }
        { name: 'IDP_CORS_ORIGINS', value: 'https://${web.properties.defaultHostname}' }
        { name: 'IDP_KEYVAULT_URI', value: vault.properties.vaultUri }
      ]
    }
  }
}

// Data-plane roles for the app's managed identity: tables, queues, blobs (storage keys stay disabled).
var roles = [
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
]

resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in roles: {
  name: guid(storage.id, app.id, role)
  scope: storage
  properties: {
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
  }
}]

resource vaultReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, app.id, 'secrets-user')
  scope: vault
  properties: {
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6') // Key Vault Secrets User
  }
}

// The Static Web App proxies /api/* to the Function App.
resource backend 'Microsoft.Web/staticSites/linkedBackends@2023-12-01' = {
  parent: web
  name: 'api'
  properties: { backendResourceId: app.id, region: location }
}

output functionAppName string = app.name
output functionAppUrl string = 'https://${app.properties.defaultHostName}'
output staticWebAppUrl string = 'https://${web.properties.defaultHostname}'
output storageAccountName string = storage.name
output keyVaultUri string = vault.properties.vaultUri
