"""Kubernetes loader: namespaces, pods, services, ingresses and service accounts, read live through the
official client (kubeconfig or in-cluster) or offline from `kubectl get ... -A -o json` files."""
