// One environment of the project: an Azure ML workspace with its dependencies (storage,
// key vault, container registry, Application Insights on Log Analytics) and a CPU compute
// cluster that scales to zero. Deploy once per environment with its parameter file:
//   az deployment group create --resource-group rg-<project>-<environment> \
//     --template-file main.bicep --parameters environments/<environment>.bicepparam
targetScope = 'resourceGroup'

@description('Project name, used in every resource name.')
@maxLength(24)
param project string

@description('Environment name.')
@allowed([
  'dev'
  'staging'
  'prod'
])
param environment string

@description('Azure region.')
param location string = resourceGroup().location

@description('Owning team, recorded as a tag.')
param owner string

@description('Retention of logs and telemetry, in days.')
param logRetentionDays int = 90

@description('VM size of the training compute cluster.')
param computeVmSize string = 'Standard_DS3_v2'

@description('Largest number of nodes of the training compute cluster (it scales to zero).')
param computeMaxNodes int = 2

@description('Public IP ranges (CIDR) allowed to reach the key vault and storage (CI agents, operators).')
param allowedIpRanges array = []

@description('Object id of this environment\'s CI identity (workload identity federation); empty: no role for CI.')
param ciPrincipalId string = ''

@description('Object id of the CI identity of the environment released after this one (prod\'s, set on the release environment): reads this registry to import the release image; empty: none.')
param promotionPrincipalId string = ''

var name = '${project}-${environment}'
var compact = take(toLower(replace(replace(project, '-', ''), '_', '')), 14)
// Premium SKUs in production only: dev and staging do not pay for them.
var premium = environment == 'prod'
// Storage accounts, container registries and key vaults share one global namespace: a
// deterministic suffix from the resource group's id makes the names unique and stable
// across deployments. CI reads them from the outputs, never rebuilds them.
var suffix = take(uniqueString(resourceGroup().id), 6)
var tags = {
  project: project
  environment: environment
  owner: owner
  'managed-by': 'bicep'
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${name}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logRetentionDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${name}'
  location: location
  kind: 'web'
  tags: tags
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
  }
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: '${take('kv-${compact}-${environment}', 17)}${suffix}'
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enablePurgeProtection: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'AzureServices'
      ipRules: [for range in allowedIpRanges: { value: range }]
    }
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_43: The name is built from lowercase letters and digits only (compact, take 14, the environment, then a 6-character uniqueString suffix): at most 24 characters.
  name: '${take('st${compact}${environment}', 18)}${suffix}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_GZRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
        }
        file: {
          enabled: true
        }
      }
    }
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'AzureServices, Logging, Metrics'
      ipRules: [for range in allowedIpRanges: { value: range, action: 'Allow' }]
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: {
      enabled: true
      days: 30
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 30
    }
  }
}

// Reference data and inference logs of the drift monitor.
resource monitoringContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: 'monitoring'
  properties: {
    publicAccess: 'None'
  }
}

// Job inputs and outputs (batch scoring reads and writes here), read through an
// identity-based datastore: shared keys are disabled on the account.
resource projectContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: 'project'
  properties: {
    publicAccess: 'None'
  }
}

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'blob-to-log-analytics'
  scope: blobService
  properties: {
    workspaceId: logs.id
    logs: [
      {
        category: 'StorageRead'
        enabled: true
      }
      {
        category: 'StorageWrite'
        enabled: true
      }
      {
        category: 'StorageDelete'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  // checkov:skip=CKV_AZURE_139: Hosted CI agents push images over the public endpoint; a private registry needs a VNet and self-hosted agents.
  // checkov:skip=CKV_AZURE_163: Image scanning runs on the Premium registry of prod; dev and staging use Standard, without premium costs.
  // checkov:skip=CKV_AZURE_166: Quarantine blocks pulls until an external scanner marks images; enable it together with Defender for Containers.
  name: 'cr${compact}${environment}${suffix}'
  location: location
  tags: tags
  // Premium (zone redundancy, dedicated data endpoints, retention) where it pays: prod.
  sku: {
    name: premium ? 'Premium' : 'Standard'
  }
  properties: {
    adminUserEnabled: false
    zoneRedundancy: premium ? 'Enabled' : 'Disabled'
    dataEndpointEnabled: premium
    policies: {
      retentionPolicy: {
        status: premium ? 'enabled' : 'disabled'
        days: 7
      }
    }
  }
}

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-04-01' = {
  // checkov:skip=CKV_AZURE_243: CI agents and data scientists reach the workspace over its public endpoint; use private endpoints once the platform provides a hub network.
  name: 'mlw-${name}'
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  sku: {
    name: 'Basic'
    tier: 'Basic'
  }
  properties: {
    friendlyName: name
    storageAccount: storage.id
    keyVault: keyVault.id
    applicationInsights: appInsights.id
    containerRegistry: registry.id
    publicNetworkAccess: 'Enabled'
    // No systemDatastoresAuthMode: the stable API versions (2024-04-01, 2024-10-01) do not
    // define it. Jobs use the credential-less datastore projectstore below, and the
    // workspace and its compute reach storage through the role assignments (shared keys
    // are disabled on the account).
  }
}

resource cpuCluster 'Microsoft.MachineLearningServices/workspaces/computes@2024-04-01' = {
  parent: workspace
  name: 'cpu-cluster'
  location: location
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    computeType: 'AmlCompute'
    disableLocalAuth: true
    properties: {
      vmSize: computeVmSize
      vmPriority: environment == 'prod' ? 'Dedicated' : 'LowPriority'
      scaleSettings: {
        minNodeCount: 0
        maxNodeCount: computeMaxNodes
        nodeIdleTimeBeforeScaleDown: 'PT15M'
      }
    }
  }
}

// --- identities and least-privilege role assignments --------------------------------------------
// Each identity gets the data-plane roles it needs, on the one resource it uses: no Owner or
// Contributor, no account keys (shared keys are disabled on the storage account).
var roles = {
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  acrPush: '8311e382-0749-4cb8-b61a-304f252e45ec'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  azureMLDataScientist: 'f6c7c914-8db3-469d-8ca1-694a8f32e121'
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
}

// The online endpoint's identity (online-endpoint.yml: identity type user_assigned): pulls
// the service image and appends the inference log to the monitoring container.
resource endpointIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${name}-endpoint'
  location: location
  tags: tags
}

resource endpointPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: registry
  name: guid(registry.id, endpointIdentity.id, roles.acrPull)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
    principalId: endpointIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource endpointMonitoring 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: monitoringContainer
  name: guid(monitoringContainer.id, endpointIdentity.id, roles.storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: endpointIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Identity-based datastores: the workspace and its compute reach the storage account with
// their managed identities (shared keys are disabled), and pull images without admin users.
// Credential-less (identity-based) datastore: jobs reach the data with their own identity
// (the compute's, granted Storage Blob Data Contributor below), the studio with the
// workspace's; no account key or SAS is stored, which a key-less account requires.
resource projectDatastore 'Microsoft.MachineLearningServices/workspaces/datastores@2024-04-01' = {
  parent: workspace
  name: 'projectstore'
  properties: {
    datastoreType: 'AzureBlob'
    accountName: storage.name
    containerName: projectContainer.name
    credentials: {
      credentialsType: 'None'
    }
    serviceDataAccessAuthIdentity: 'WorkspaceSystemAssignedIdentity'
    description: 'Job inputs and outputs, identity-based access'
  }
}

resource workspaceStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, workspace.id, roles.storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: workspace.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource computeStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, cpuCluster.id, roles.storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: cpuCluster.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource computePull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: registry
  name: guid(registry.id, cpuCluster.id, roles.acrPull)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
    principalId: cpuCluster.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// This environment's CI identity: pushes images, trains, registers and deploys in the
// workspace, publishes the training reference and reads the inference log for the drift
// check. Nothing on the other environments.
resource ciPush 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(ciPrincipalId)) {
  scope: registry
  name: guid(registry.id, ciPrincipalId, roles.acrPush)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPush)
    principalId: ciPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource ciWorkspace 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(ciPrincipalId)) {
  scope: workspace
  name: guid(workspace.id, ciPrincipalId, roles.azureMLDataScientist)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.azureMLDataScientist)
    principalId: ciPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource ciMonitoring 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(ciPrincipalId)) {
  scope: monitoringContainer
  name: guid(monitoringContainer.id, ciPrincipalId, roles.storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: ciPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Promotion of the release image into prod's registry (`az acr import` in the release): the
// only right this environment's CI identity needs for it is the import action on its own
// registry, not Contributor. Only the environment that receives promoted images has it.
var importsImages = !empty(ciPrincipalId) && environment == 'prod'

resource acrImporter 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (importsImages) {
  name: guid(registry.id, 'acr-image-importer')
  properties: {
    roleName: '${name}-acr-image-importer'
    description: 'Imports images into the ${name} container registry (az acr import).'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.ContainerRegistry/registries/read'
          'Microsoft.ContainerRegistry/registries/importImage/action'
        ]
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource ciImport 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (importsImages) {
  scope: registry
  name: guid(registry.id, ciPrincipalId, 'acr-image-importer')
  properties: {
    roleDefinitionId: acrImporter.id
    principalId: ciPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The source side of the same import: the CI identity of the environment that promotes
// from this one (prod's, set on staging) reads this registry; it cannot push to it.
resource promotionRead 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(promotionPrincipalId)) {
  scope: registry
  name: guid(registry.id, promotionPrincipalId, roles.reader)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.reader)
    principalId: promotionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

@description('Resource group of the environment (AZURE_RESOURCE_GROUP in CI).')
output resourceGroupName string = resourceGroup().name

@description('Azure ML workspace (AZUREML_WORKSPACE in CI).')
output workspaceName string = workspace.name

@description('Container registry for the images (ACR_NAME in CI).')
output containerRegistryName string = registry.name

@description('Resource id of the container registry (the promotion source of the next environment).')
output containerRegistryId string = registry.id

@description('Key vault of the workspace (KEY_VAULT_NAME in CI).')
output keyVaultName string = keyVault.name

@description('Storage account of the workspace, also holding monitoring data (STORAGE_ACCOUNT in CI).')
output storageAccountName string = storage.name

@description('Resource id of the online endpoint\'s identity (online-endpoint.yml, user_assigned).')
output endpointIdentityId string = endpointIdentity.id
