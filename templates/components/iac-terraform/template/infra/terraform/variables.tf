variable "project" {
  description = "Project name, used in every resource name."
  type        = string
}

variable "environment" {
  description = "Environment name (dev, staging, prod)."
  type        = string
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "location" {
  description = "Azure region."
  type        = string
  default     = "westeurope"
}

variable "owner" {
  description = "Owning team, recorded as a tag."
  type        = string
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  description = "Retention of logs and telemetry, in days."
  type        = number
  default     = 90
}

variable "compute_vm_size" {
  description = "VM size of the training compute cluster."
  type        = string
  default     = "Standard_DS3_v2"
}

variable "compute_max_nodes" {
  description = "Largest number of nodes of the training compute cluster (it scales to zero)."
  type        = number
  default     = 2
}

variable "allowed_ip_ranges" {
  description = "Public IP ranges (CIDR) allowed to reach the key vault and storage (CI agents, operators)."
  type        = list(string)
  default     = []
}

variable "ci_principal_id" {
  description = "Object id of this environment's CI identity (workload identity federation); empty: no role for CI."
  type        = string
  default     = ""
}

variable "promotion_principal_id" {
  description = "Object id of the CI identity of the environment released after this one (prod's, set on the release environment): reads this registry to import the release image; empty: none."
  type        = string
  default     = ""
}
