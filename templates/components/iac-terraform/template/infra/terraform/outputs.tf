output "resource_group_name" {
  description = "Resource group of the environment (AZURE_RESOURCE_GROUP in CI)."
  value       = azurerm_resource_group.main.name
}

output "workspace_name" {
  description = "Azure ML workspace (AZUREML_WORKSPACE in CI)."
  value       = azurerm_machine_learning_workspace.main.name
}

output "container_registry_name" {
  description = "Container registry for the images (ACR_NAME in CI; its name carries a unique suffix)."
  value       = azurerm_container_registry.main.name
}

output "container_registry_id" {
  description = "Resource id of the container registry (the promotion source of the next environment)."
  value       = azurerm_container_registry.main.id
}

output "key_vault_name" {
  description = "Key vault of the workspace (KEY_VAULT_NAME in CI)."
  value       = azurerm_key_vault.main.name
}

output "storage_account_name" {
  description = "Storage account of the workspace, also holding monitoring data (STORAGE_ACCOUNT in CI)."
  value       = azurerm_storage_account.main.name
}

output "application_insights_connection_string" {
  description = "Application Insights connection string for the service's telemetry."
  value       = azurerm_application_insights.main.connection_string
  sensitive   = true
}

output "endpoint_identity_id" {
  description = "Resource id of the online endpoint's identity (online-endpoint.yml, user_assigned)."
  value       = azurerm_user_assigned_identity.endpoint.id
}
