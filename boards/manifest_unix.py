# `make unix`: the unix port's own default manifest (its standard variant:
# ports/unix/variants/manifest.py plus asyncio) and then our manifest.
include("../manifest.py", port_manifest="$(PORT_DIR)/variants/standard/manifest.py")
