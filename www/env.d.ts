/** Module types for what Vite resolves at build time. */

/** `import css from "./styles.css?inline"`: the stylesheet's text, for a shadow root. */
declare module "*?inline" {
  const text: string;
  export default text;
}
