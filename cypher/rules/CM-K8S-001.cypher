// id: CM-K8S-001
// title: Kubernetes cluster API endpoint is public
// short_title: Public Kubernetes API endpoint
// description: The managed Kubernetes API server (EKS, AKS) accepts connections from any address.
// severity: medium
// risk_factors: [internet-exposure]
// attack: [T1133]
// remediation: Make the endpoint private, or restrict public_cidrs to your admin networks.
// references: ['https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html']
MATCH path = (c:Cluster)
WHERE c.endpoint_public = true
  AND (c.public_cidrs IS NULL OR size(c.public_cidrs) = 0
       OR any(x IN c.public_cidrs WHERE x IN ['0.0.0.0/0', '::/0', '*']))
RETURN path, c AS entry, c AS target,
  {exposure: 'internet', public_cidrs: c.public_cidrs, weaknesses: ['public-api-endpoint']} AS evidence
