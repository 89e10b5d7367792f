/**
 * Every type that an exported declaration mentions is itself exported from the same entry
 * point (issue 8 item 7), so users can name everything they are handed. Checked with the
 * TypeScript compiler over the entry points' declarations: interfaces, type aliases,
 * functions, classes (public members only) and variables.
 */
import { describe, it, expect } from 'vitest';
import ts from 'typescript';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ENTRIES = ['src/index.ts', 'src/client.ts', 'src/webcrypto.ts', 'src/transport/node.ts', 'src/native.ts'];

function program(): ts.Program {
  const config = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  return ts.createProgram(ENTRIES.map((e) => path.join(root, e)), { ...parsed.options, noEmit: true });
}

/** Everything an entry point exports (aliases resolved). */
function exportsOf(checker: ts.TypeChecker, p: ts.Program, entry: string): Set<ts.Symbol> {
  const mod = checker.getSymbolAtLocation(p.getSourceFile(path.join(root, entry))!)!;
  const out = new Set<ts.Symbol>();
  for (const s of checker.getExportsOfModule(mod)) out.add(s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  return out;
}

/**
 * The names of our own types (declared under src/) that an entry's exported declarations use
 * but no public entry exports (a user of `puretls/node` may import core types from `puretls`).
 */
function missingExports(p: ts.Program, entry: string): string[] {
  const checker = p.getTypeChecker();
  const exported = exportsOf(checker, p, entry);
  const public_ = new Set<ts.Symbol>();
  for (const e of ENTRIES) for (const s of exportsOf(checker, p, e)) public_.add(s);
  const missing = new Set<string>();
  const seen = new Set<ts.Node>();
  const visit = (node: ts.Node): void => {
    if (seen.has(node)) return;
    seen.add(node);
    // Private and protected class members are not part of the surface.
    if ((ts.isPropertyDeclaration(node) || ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isConstructorDeclaration(node)) && ts.getCombinedModifierFlags(node as ts.Declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return;
    if (ts.isPropertyDeclaration(node) && ts.isPrivateIdentifier(node.name)) return;
    // Function and method bodies and initialisers are implementation, not surface.
    if (ts.isBlock(node)) return;
    if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node) || ts.isTypeQueryNode(node)) {
      const name = ts.isTypeReferenceNode(node) ? node.typeName : ts.isTypeQueryNode(node) ? node.exprName : node.expression;
      let sym = checker.getSymbolAtLocation(name);
      if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
      const decl = sym?.declarations?.[0];
      if (sym && decl && !(sym.flags & ts.SymbolFlags.TypeParameter)) {
        const file = decl.getSourceFile().fileName;
        if (file.startsWith(path.join(root, 'src')) && !public_.has(sym)) missing.add(`${sym.getName()} (${path.relative(root, file)})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  for (const s of exported) {
    for (const d of s.declarations ?? []) {
      if (ts.isVariableDeclaration(d)) {
        if (d.type) visit(d.type);
        continue;
      }
      if (ts.isFunctionDeclaration(d)) {
        for (const prm of d.parameters) if (prm.type) visit(prm.type);
        if (d.type) visit(d.type);
        for (const tp of d.typeParameters ?? []) visit(tp);
        continue;
      }
      visit(d);
    }
  }
  return [...missing].sort();
}

describe('public types', () => {
  const p = program();
  for (const entry of ENTRIES) {
    it(`${entry}: every type an export mentions is exported too`, () => {
      expect(missingExports(p, entry)).toEqual([]);
    });
  }
});
