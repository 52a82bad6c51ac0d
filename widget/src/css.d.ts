// esbuild loads .css files as text (build.go); the widget adopts them as a constructed sheet.
declare module "*.css" {
  const css: string;
  export default css;
}
