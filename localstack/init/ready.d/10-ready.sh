#!/bin/sh
# LocalStack runs this when its services are ready. The deployment itself runs from the host
# (`make deploy-localstack`), because it packages functions/ with the project's Python tools.
echo "LocalStack ready: run 'make deploy-localstack' from the repository root"
