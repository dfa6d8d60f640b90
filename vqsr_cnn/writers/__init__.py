"""Writers: scores out to GATK's temp file, HDF5 tensor dumps, or a VCF."""
