// id: public-cluster-endpoints
// title: Kubernetes clusters with a public API endpoint open to everyone
// description: EKS/AKS clusters whose API server is public and not narrowed to known CIDRs.
// tags: [exposure, kubernetes]
MATCH (c:Cluster) WHERE c.endpoint_public = true
WITH c, coalesce(c.public_cidrs, []) AS cidrs
RETURN c.id AS cluster, c.name AS name, c.provider AS provider, cidrs AS public_cidrs,
       size(cidrs) = 0 OR '0.0.0.0/0' IN cidrs AS open_to_all
ORDER BY open_to_all DESC, name
