"""The demo estate: two AWS accounts built in moto, one Azure subscription as Resource Graph
exports, scanner reports, a classification file and threat-intel samples; `cloudmap demo` loads
them through the real loaders, derives attack paths and ranks the findings."""
