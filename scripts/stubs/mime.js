// Gatherarr serves no files: the platform uses `mime` only for file responses, so this stand-in
// keeps ~35 KB out of the bundle.
export default { getType: () => null, getExtension: () => null }
