// Software bills of materials: the packages of a release's images (from their layers), as CycloneDX 1.5 JSON.
export { buildSbom, type SbomImageInput } from './build.ts';
export { catalogImage, paragraphs, type CatalogPackage, type Distro, type ImageCatalog, type PackageType } from './catalog.ts';
export { imageCatalogFiles, isCatalogFile, LayerCache, tarChanges, type LayerChanges, type LayerRef } from './layer-files.ts';
export { CYCLONEDX_SPEC, Prop, cyclonedxDocument, osvEcosystem, purlOf, sbomPackages, type SbomPackage, type SbomSubject } from './cyclonedx.ts';
export { NO_LICENSE, isRefusedLicense, licenseReport, refusedLicenses, type LicenseGroup } from './licenses.ts';
