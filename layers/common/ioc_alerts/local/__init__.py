"""Local stand-ins for what runs in AWS: a metrics API server, a moto server, provisioning."""
