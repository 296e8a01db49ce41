"""The cloud regions an NCC may name: the one list the CRD's CEL rules and the models share.

An NCC has no ``cloud`` field (its DatabricksAccount has), so ``spec.region`` is checked against
the union of the three clouds' published region names; whether the region suits the account's
cloud and has the workspaces is a cross-object fact the operator reports. The CRDs quote these
lists inside CEL rules; ``tests/models/test_formats.py`` fails, printing the rule to paste, when
a list here and its copy in ``crds/`` differ.

Sources (update all three lists together, then the CRD rules the test prints):

- AWS: the ``aws``, ``aws-us-gov``, ``aws-cn`` and ``aws-eusc`` partitions of botocore 1.43.11
  ``botocore/data/endpoints.json`` (the AWS SDK's published partition metadata). The isolated
  ``aws-iso*`` partitions are left out: Databricks cannot reach them.
- Azure: the "Programmatic name" column of Microsoft Learn's "Azure regions list"
  (learn.microsoft.com/azure/reliability/regions-list), physical regions only (no ``*euap`` or
  ``*stage`` logical regions), plus Azure Government and Azure operated by 21Vianet (China).
- Google Cloud: the public regions of cloud.google.com/about/locations, which are the regional
  Artifact Registry hosts in Google Cloud SDK 528.0.0 ``googlecloudsdk/core/docker/constants.py``
  minus the multi-regions (``us``, ``europe``, ``asia``) and the restricted ``us-central2``,
  ``us-east7`` and ``us-west8``.
"""

from __future__ import annotations

AWS_REGIONS: tuple[str, ...] = (
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
    "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1",
    "ca-west-1", "cn-north-1", "cn-northwest-1", "eu-central-1", "eu-central-2", "eu-north-1",
    "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "eusc-de-east-1",
    "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1",
    "us-east-2", "us-gov-east-1", "us-gov-west-1", "us-west-1", "us-west-2",
)  # fmt: skip

AZURE_REGIONS: tuple[str, ...] = (
    "australiacentral", "australiacentral2", "australiaeast", "australiasoutheast", "austriaeast",
    "belgiumcentral", "brazilsouth", "brazilsoutheast", "canadacentral", "canadaeast",
    "centralindia", "centralus", "chilecentral", "chinaeast", "chinaeast2", "chinaeast3",
    "chinanorth", "chinanorth2", "chinanorth3", "eastasia", "eastus", "eastus2", "francecentral",
    "francesouth", "germanynorth", "germanywestcentral", "indonesiacentral", "israelcentral",
    "italynorth", "japaneast", "japanwest", "jioindiacentral", "jioindiawest", "koreacentral",
    "koreasouth", "malaysiawest", "mexicocentral", "newzealandnorth", "northcentralus",
    "northeurope", "norwayeast", "norwaywest", "polandcentral", "qatarcentral",
    "southafricanorth", "southafricawest", "southcentralus", "southeastasia", "southindia",
    "spaincentral", "swedencentral", "swedensouth", "switzerlandnorth", "switzerlandwest",
    "uaecentral", "uaenorth", "uksouth", "ukwest", "usdodcentral", "usdodeast", "usgovarizona",
    "usgovtexas", "usgovvirginia", "westcentralus", "westeurope", "westindia", "westus",
    "westus2", "westus3",
)  # fmt: skip

GCP_REGIONS: tuple[str, ...] = (
    "africa-south1", "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2",
    "asia-northeast3", "asia-south1", "asia-south2", "asia-southeast1", "asia-southeast2",
    "australia-southeast1", "australia-southeast2", "europe-central2", "europe-north1",
    "europe-north2", "europe-southwest1", "europe-west1", "europe-west10", "europe-west12",
    "europe-west2", "europe-west3", "europe-west4", "europe-west6", "europe-west8", "europe-west9",
    "me-central1", "me-central2", "me-west1", "northamerica-northeast1", "northamerica-northeast2",
    "northamerica-south1", "southamerica-east1", "southamerica-west1", "us-central1", "us-east1",
    "us-east4", "us-east5", "us-south1", "us-west1", "us-west2", "us-west3", "us-west4",
)  # fmt: skip

# Sorted, so the CEL list in the CRD has one canonical spelling.
ALL_REGIONS: tuple[str, ...] = tuple(sorted({*AWS_REGIONS, *AZURE_REGIONS, *GCP_REGIONS}))
