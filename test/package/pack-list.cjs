/**
 * What `npm pack` would put in the tarball, asked of npm's own modules (the ones `npm pack` runs:
 * @npmcli/arborist loads the package's tree, npm-packlist lists its files, bundled dependencies
 * included), without building and gzipping the tarball. Also how the package's peer dependencies
 * meet the versions a directory of modules holds, by npm's own semver.
 *
 *   node pack-list.cjs <npm directory> <package directory> <node_modules of the app's peers>
 *
 * Prints one line of JSON: { files: string[], peers: { [name]: { range, version, satisfied } } }.
 */
const { readFileSync } = require('node:fs');
const path = require('node:path');

async function main([npmDir, packageDir, peersDir]) {
  const fromNpm = (name) => require(require.resolve(name, { paths: [npmDir] }));
  const Arborist = fromNpm('@npmcli/arborist');
  const packlist = fromNpm('npm-packlist');
  const semver = fromNpm('semver');

  // As pacote's directory fetcher does for `npm pack`.
  const tree = await new Arborist({ path: packageDir }).loadActual();
  const files = await packlist(tree, { path: packageDir });

  const manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  const peers = {};
  for (const [name, range] of Object.entries(manifest.peerDependencies ?? {})) {
    const { version } = JSON.parse(readFileSync(path.join(peersDir, name, 'package.json'), 'utf8'));
    peers[name] = { range, version, satisfied: semver.satisfies(version, range) };
  }
  process.stdout.write(`${JSON.stringify({ files, peers })}\n`);
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
