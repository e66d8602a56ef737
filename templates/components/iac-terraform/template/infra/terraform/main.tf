# One environment of the project: an Azure ML workspace with its dependencies (storage,
# key vault, container registry, Application Insights on Log Analytics) and a CPU compute
# cluster that scales to zero. Apply once per environment with its variable file:
#   terraform apply -var-file=environments/<environment>.tfvars

data "azurerm_client_config" "current" {}

locals {
  name    = "${var.project}-${var.environment}"
  compact = substr(replace(lower(var.project), "/[^a-z0-9]/", ""), 0, 14)
  # Premium SKUs in production only: dev and staging do not pay for them.
  premium = var.environment == "prod"
  # Storage accounts, container registries and key vaults share one global namespace: a
  # deterministic suffix from the subscription and the resource group makes the names
  # unique and stable across applies. CI reads them from the outputs, never rebuilds them.
  suffix = substr(sha1("${data.azurerm_client_config.current.subscription_id}/rg-${local.name}"), 0, 6)
  tags = merge(var.tags, {
    project     = var.project
    environment = var.environment
    owner       = var.owner
    managed-by  = "terraform"
  })
}

resource "azurerm_resource_group" "main" {
  name     = "rg-${local.name}"
  location = var.location
  tags     = local.tags
}

resource "azurerm_log_analytics_workspace" "main" {
  name                = "log-${local.name}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  sku                 = "PerGB2018"
  retention_in_days   = var.log_retention_days
  tags                = local.tags
}

resource "azurerm_application_insights" "main" {
  name                = "appi-${local.name}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  workspace_id        = azurerm_log_analytics_workspace.main.id
  application_type    = "web"
  retention_in_days   = var.log_retention_days
  tags                = local.tags
}

resource "azurerm_key_vault" "main" {
  #checkov:skip=CKV_AZURE_189:Public access stays on but restricted by network_acls to allowed_ip_ranges; private endpoints need a VNet this template does not create.
  #checkov:skip=CKV2_AZURE_32:Private endpoints need a VNet this template does not create; network_acls deny by default instead.
  name                          = "${substr("kv-${local.compact}-${var.environment}", 0, 17)}${local.suffix}"
  location                      = azurerm_resource_group.main.location
  resource_group_name           = azurerm_resource_group.main.name
  tenant_id                     = data.azurerm_client_config.current.tenant_id
  sku_name                      = "standard"
  rbac_authorization_enabled    = true
  purge_protection_enabled      = true
  soft_delete_retention_days    = 90
  public_network_access_enabled = true

  network_acls {
    default_action = "Deny"
    bypass         = "AzureServices"
    ip_rules       = var.allowed_ip_ranges
  }

  tags = local.tags
}

resource "azurerm_storage_account" "main" {
  #checkov:skip=CKV2_AZURE_1:Encryption at rest uses Microsoft-managed keys; customer-managed keys need a key rotation process owned by the platform team.
  #checkov:skip=CKV2_AZURE_33:Private endpoints need a VNet this template does not create; network_rules deny by default instead.
  #checkov:skip=CKV_AZURE_59:Public access stays on but restricted by network_rules to allowed_ip_ranges and trusted Azure services (Azure ML).
  #checkov:skip=CKV_AZURE_33:No queues are used; blob access is logged by azurerm_monitor_diagnostic_setting.storage_blob.
  name                              = "${substr("st${local.compact}${var.environment}", 0, 18)}${local.suffix}"
  location                          = azurerm_resource_group.main.location
  resource_group_name               = azurerm_resource_group.main.name
  account_tier                      = "Standard"
  account_replication_type          = "GZRS"
  account_kind                      = "StorageV2"
  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = false
  infrastructure_encryption_enabled = true
  default_to_oauth_authentication   = true

  blob_properties {
    versioning_enabled = true
    delete_retention_policy {
      days = 30
    }
    container_delete_retention_policy {
      days = 30
    }
  }

  network_rules {
    default_action = "Deny"
    bypass         = ["AzureServices", "Logging", "Metrics"]
    ip_rules       = var.allowed_ip_ranges
  }

  tags = local.tags
}

resource "azurerm_monitor_diagnostic_setting" "storage_blob" {
  name                       = "blob-to-log-analytics"
  target_resource_id         = "${azurerm_storage_account.main.id}/blobServices/default"
  log_analytics_workspace_id = azurerm_log_analytics_workspace.main.id

  enabled_log {
    category = "StorageRead"
  }
  enabled_log {
    category = "StorageWrite"
  }
  enabled_log {
    category = "StorageDelete"
  }
  enabled_metric {
    category = "Transaction"
  }
}

# Reference data and inference logs of the drift monitor.
resource "azurerm_storage_container" "monitoring" {
  #checkov:skip=CKV2_AZURE_21:Blob reads are logged by azurerm_monitor_diagnostic_setting.storage_blob; the storage insights this check wants needs an account key, which is disabled.
  name                  = "monitoring"
  storage_account_id    = azurerm_storage_account.main.id
  container_access_type = "private"
}

# Job inputs and outputs (batch scoring reads and writes here), read through an
# identity-based datastore: shared keys are disabled on the account.
resource "azurerm_storage_container" "project" {
  #checkov:skip=CKV2_AZURE_21:Blob reads are logged by azurerm_monitor_diagnostic_setting.storage_blob; the storage insights this check wants needs an account key, which is disabled.
  name                  = "project"
  storage_account_id    = azurerm_storage_account.main.id
  container_access_type = "private"
}

resource "azurerm_container_registry" "main" {
  #checkov:skip=CKV_AZURE_139:Hosted CI agents push images over the public endpoint; a private registry needs a VNet and self-hosted agents.
  #checkov:skip=CKV_AZURE_165:Single-region deployment; add georeplications when the service runs in several regions.
  #checkov:skip=CKV_AZURE_164:Docker Content Trust is deprecated by Azure; sign images with Notation in the release pipeline instead.
  #checkov:skip=CKV_AZURE_233:Zone redundancy is a Premium feature: prod is Premium and zone redundant; dev and staging use Standard.
  #checkov:skip=CKV_AZURE_166:Quarantine blocks pulls until an external scanner marks images; enable it together with Defender for Containers.
  name                          = "cr${local.compact}${var.environment}${local.suffix}"
  location                      = azurerm_resource_group.main.location
  resource_group_name           = azurerm_resource_group.main.name
  # Premium (zone redundancy, dedicated data endpoints, retention) where it pays: prod.
  sku                           = local.premium ? "Premium" : "Standard"
  admin_enabled                 = false
  public_network_access_enabled = true
  zone_redundancy_enabled       = local.premium
  data_endpoint_enabled         = local.premium
  retention_policy_in_days      = local.premium ? 7 : null
  tags                          = local.tags
}

resource "azurerm_machine_learning_workspace" "main" {
  #checkov:skip=CKV_AZURE_144:CI agents and data scientists reach the workspace over its public endpoint; use private endpoints once the platform provides a hub network.
  #checkov:skip=CKV2_AZURE_49:Same as CKV_AZURE_144: public access is needed without private networking.
  #checkov:skip=CKV2_AZURE_50:Same as CKV_AZURE_144; the workspace is not flagged high business impact.
  name                          = "mlw-${local.name}"
  location                      = azurerm_resource_group.main.location
  resource_group_name           = azurerm_resource_group.main.name
  application_insights_id       = azurerm_application_insights.main.id
  key_vault_id                  = azurerm_key_vault.main.id
  storage_account_id            = azurerm_storage_account.main.id
  container_registry_id         = azurerm_container_registry.main.id
  public_network_access_enabled = true

  identity {
    type = "SystemAssigned"
  }

  tags = local.tags
}

resource "azurerm_machine_learning_compute_cluster" "cpu" {
  name                          = "cpu-cluster"
  location                      = azurerm_resource_group.main.location
  machine_learning_workspace_id = azurerm_machine_learning_workspace.main.id
  vm_priority                   = var.environment == "prod" ? "Dedicated" : "LowPriority"
  vm_size                       = var.compute_vm_size
  local_auth_enabled            = false

  scale_settings {
    min_node_count                       = 0
    max_node_count                       = var.compute_max_nodes
    scale_down_nodes_after_idle_duration = "PT15M"
  }

  identity {
    type = "SystemAssigned"
  }

  tags = local.tags
}

# --- identities and least-privilege role assignments ------------------------------------------
# Each identity gets the data-plane roles it needs, on the one resource it uses: no Owner or
# Contributor, no account keys (shared keys are disabled on the storage account).

# The online endpoint's identity (online-endpoint.yml: identity type user_assigned): pulls
# the service image and appends the inference log to the monitoring container.
resource "azurerm_user_assigned_identity" "endpoint" {
  name                = "id-${local.name}-endpoint"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  tags                = local.tags
}

locals {
  monitoring_container_id = "${azurerm_storage_account.main.id}/blobServices/default/containers/${azurerm_storage_container.monitoring.name}"
}

resource "azurerm_role_assignment" "endpoint_pull" {
  scope                = azurerm_container_registry.main.id
  role_definition_name = "AcrPull"
  principal_id         = azurerm_user_assigned_identity.endpoint.principal_id
}

resource "azurerm_role_assignment" "endpoint_monitoring" {
  scope                = local.monitoring_container_id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_user_assigned_identity.endpoint.principal_id
}

# Identity-based datastores: the workspace and its compute reach the storage account with
# their managed identities (shared keys are disabled), and pull images without admin users.
resource "azurerm_role_assignment" "workspace_storage" {
  scope                = azurerm_storage_account.main.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_machine_learning_workspace.main.identity[0].principal_id
}

resource "azurerm_role_assignment" "compute_storage" {
  scope                = azurerm_storage_account.main.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_machine_learning_compute_cluster.cpu.identity[0].principal_id
}

resource "azurerm_role_assignment" "compute_pull" {
  scope                = azurerm_container_registry.main.id
  role_definition_name = "AcrPull"
  principal_id         = azurerm_machine_learning_compute_cluster.cpu.identity[0].principal_id
}

# This environment's CI identity (workload identity federation): pushes images, trains,
# registers and deploys in the workspace, publishes the training reference and reads the
# inference log for the drift check. Nothing on the other environments.
resource "azurerm_role_assignment" "ci_push" {
  count                = var.ci_principal_id == "" ? 0 : 1
  scope                = azurerm_container_registry.main.id
  role_definition_name = "AcrPush"
  principal_id         = var.ci_principal_id
}

resource "azurerm_role_assignment" "ci_workspace" {
  count                = var.ci_principal_id == "" ? 0 : 1
  scope                = azurerm_machine_learning_workspace.main.id
  role_definition_name = "AzureML Data Scientist"
  principal_id         = var.ci_principal_id
}

resource "azurerm_role_assignment" "ci_monitoring" {
  count                = var.ci_principal_id == "" ? 0 : 1
  scope                = local.monitoring_container_id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = var.ci_principal_id
}

# Promotion of the release image into prod's registry (`az acr import` in the release):
# the only right this environment's CI identity needs for it is the import action on its
# own registry, not Contributor. Only the environment that receives promoted images has it.
resource "azurerm_role_definition" "acr_import" {
  count       = var.ci_principal_id != "" && var.environment == "prod" ? 1 : 0
  name        = "${local.name}-acr-image-importer"
  scope       = azurerm_container_registry.main.id
  description = "Imports images into the ${local.name} container registry (az acr import)."

  permissions {
    actions = [
      "Microsoft.ContainerRegistry/registries/read",
      "Microsoft.ContainerRegistry/registries/importImage/action",
    ]
  }

  assignable_scopes = [azurerm_container_registry.main.id]
}

resource "azurerm_role_assignment" "ci_import" {
  count              = var.ci_principal_id != "" && var.environment == "prod" ? 1 : 0
  scope              = azurerm_container_registry.main.id
  role_definition_id = azurerm_role_definition.acr_import[0].role_definition_resource_id
  principal_id       = var.ci_principal_id
}

# The source side of the same import: the CI identity of the environment that promotes
# from this one (prod's, set on staging) reads this registry; it cannot push to it.
resource "azurerm_role_assignment" "promotion_read" {
  count                = var.promotion_principal_id == "" ? 0 : 1
  scope                = azurerm_container_registry.main.id
  role_definition_name = "Reader"
  principal_id         = var.promotion_principal_id
}

# Credential-less (identity-based) datastore: jobs reach the data with their own identity
# (the compute's, granted Storage Blob Data Contributor), the studio with the workspace's;
# no account key or SAS is stored, which a key-less account requires.
resource "azurerm_machine_learning_datastore_blobstorage" "project" {
  name                       = "projectstore"
  workspace_id               = azurerm_machine_learning_workspace.main.id
  storage_container_id       = azurerm_storage_container.project.id
  service_data_auth_identity = "WorkspaceSystemAssignedIdentity"
  description                = "Job inputs and outputs, identity-based access"
}
