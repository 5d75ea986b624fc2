"""OpenSearch: the HTTP clients and their auth, template and ISM setup, the AWS domain checks."""
