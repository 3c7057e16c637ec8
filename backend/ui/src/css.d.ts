// esbuild bundles the stylesheets a module imports into the build's `.css` output.
declare module "*.css" {}
