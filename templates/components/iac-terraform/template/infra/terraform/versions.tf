terraform {
  required_version = ">= 1.6"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 4.42, < 5.0"
    }
  }

  # State lives in an Azure storage account, one state file per environment:
  #   terraform init -backend-config="resource_group_name=<rg>" \
  #     -backend-config="storage_account_name=<account>" -backend-config="container_name=tfstate" \
  #     -backend-config="key=<environment>.tfstate"
  backend "azurerm" {}
}

provider "azurerm" {
  features {
    key_vault {
      purge_soft_delete_on_destroy = false
    }
  }
  storage_use_azuread = true
}
