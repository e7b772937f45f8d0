// Starts the playground. Trunk would put this in an inline <script>; the page's
// Content-Security-Policy allows scripts from the page's own files only (script-src
// 'self'), so trunk.toml's pattern_script loads this file instead and names the hashed
// JS and WASM files in data attributes.
const tag = document.querySelector('script[data-netplay-js]');
const js = new URL(tag.dataset.netplayJs, tag.src).href;
const wasm = new URL(tag.dataset.netplayWasm, tag.src).href;
const bindings = await import(js);
await bindings.default({ module_or_path: wasm });
