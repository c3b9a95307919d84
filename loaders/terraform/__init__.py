"""Terraform loader: `terraform show -json` state or plan mapped onto the same kinds and ids as the live
AWS and Azure loaders, marked `source: terraform` (and `planned: true` for what a plan creates)."""
