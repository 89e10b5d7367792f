#!/usr/bin/env bash
# Regenerates vectors/fuzz/pki/ and vectors/fuzz/x509/ with OpenSSL 3.0 (see README.md).
# The fuzzer reads these files; regenerating them changes every seed derived from them.
set -euo pipefail
cd "$(dirname "$0")"
P=pki; X=x509; K=keys; O=ocsp
rm -rf "$P" "$X" "$K" "$O"; mkdir -p "$P" "$X" "$K" "$O"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
DAYS=7300

ec()  { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:"$2" -out "$1" 2>/dev/null; }
cat > "$tmp/ext.cnf" <<'CNF'
[ca]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
[int]
basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[server]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,DNS:fuzz.example,IP:127.0.0.1,IP:::1
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
authorityInfoAccess=OCSP;URI:http://127.0.0.1:1/ocsp
[client]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
subjectAltName=email:client@fuzz.example,DNS:client.fuzz.example
authorityKeyIdentifier=keyid
[ocsp]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=OCSPSigning
[nc]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign
nameConstraints=critical,permitted;DNS:.fuzz.example,permitted;IP:127.0.0.0/255.0.0.0,excluded;DNS:bad.fuzz.example,excluded;dirName:dir_sect,permitted;email:.fuzz.example
[dir_sect]
CN=blocked
[policy]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign
certificatePolicies=2.5.29.32.0,1.3.6.1.4.1.99999.1
policyConstraints=requireExplicitPolicy:0,inhibitPolicyMapping:1
inhibitAnyPolicy=0
policyMappings=1.3.6.1.4.1.99999.1:1.3.6.1.4.1.99999.2
[manysan]
basicConstraints=CA:FALSE
subjectAltName=@alt
[alt]
DNS.1=*.fuzz.example
DNS.2=a.b.c.fuzz.example
DNS.3=xn--bcher-kva.example
IP.1=10.0.0.1
IP.2=2001:db8::1
email.1=x@fuzz.example
URI.1=https://fuzz.example/path
RID.1=1.2.3.4
dirName.1=dir_sect
otherName.1=1.3.6.1.4.1.311.20.2.3;UTF8:upn@fuzz.example
[unknowncrit]
basicConstraints=critical,CA:FALSE
1.3.6.1.4.1.99999.7=critical,DER:05:00
subjectAltName=DNS:crit.fuzz.example
[v1]
CNF

# Trust anchor, intermediate, leaves (ECDSA P-256 chain; RSA, Ed25519 and P-384 leaves).
ec "$P/ca.key" P-256
openssl req -new -x509 -key "$P/ca.key" -subj "/C=XX/O=puretls fuzz/CN=puretls Fuzz Root" -days $DAYS -sha256 -extensions ca -config "$tmp/ext.cnf" -out "$P/ca.pem" -set_serial 1
ec "$P/int.key" P-256
openssl req -new -key "$P/int.key" -subj "/O=puretls fuzz/CN=puretls Fuzz Intermediate" -out "$tmp/int.csr"
openssl x509 -req -in "$tmp/int.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" -set_serial 2 -days $DAYS -sha256 -extfile "$tmp/ext.cnf" -extensions int -out "$P/int.pem" 2>/dev/null
leaf() { # name keyfile subject section serial [sigopts...]
  local name=$1 key=$2 subj=$3 sect=$4 serial=$5; shift 5
  openssl req -new -key "$key" -subj "$subj" -out "$tmp/$name.csr"
  openssl x509 -req -in "$tmp/$name.csr" -CA "$P/int.pem" -CAkey "$P/int.key" -set_serial "$serial" -days $DAYS "$@" -extfile "$tmp/ext.cnf" -extensions "$sect" -out "$P/$name.pem" 2>/dev/null
}
ec "$P/server-ec.key" P-256;   leaf server-ec "$P/server-ec.key" "/CN=localhost" server 16 -sha256
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$P/server-rsa.key" 2>/dev/null; leaf server-rsa "$P/server-rsa.key" "/CN=localhost" server 17 -sha256
openssl genpkey -algorithm ED25519 -out "$P/server-ed25519.key"; leaf server-ed25519 "$P/server-ed25519.key" "/CN=localhost" server 18 -sha256
ec "$P/server-p384.key" P-384; leaf server-p384 "$P/server-p384.key" "/CN=localhost" server 19 -sha384
ec "$P/client-ec.key" P-256;   leaf client-ec "$P/client-ec.key" "/CN=fuzz client" client 20 -sha256
ec "$P/ocsp.key" P-256;        leaf ocsp "$P/ocsp.key" "/CN=puretls Fuzz OCSP Responder" ocsp 21 -sha256

# OCSP responses about server-ec, signed by its issuer and by a delegated responder.
touch "$tmp/index.txt"
openssl ocsp -issuer "$P/int.pem" -cert "$P/server-ec.pem" -no_nonce -reqout "$tmp/req.der" >/dev/null 2>&1
openssl ocsp -issuer "$P/int.pem" -sha256 -cert "$P/server-ec.pem" -no_nonce -reqout "$tmp/req256.der" >/dev/null 2>&1
printf 'V\t400101000000Z\t\t10\tunknown\t/CN=localhost\n' > "$tmp/index.txt"
openssl ocsp -index "$tmp/index.txt" -CA "$P/int.pem" -rsigner "$P/int.pem" -rkey "$P/int.key" -reqin "$tmp/req.der" -respout "$O/good.der" -ndays $DAYS >/dev/null 2>&1
openssl ocsp -index "$tmp/index.txt" -CA "$P/int.pem" -rsigner "$P/int.pem" -rkey "$P/int.key" -reqin "$tmp/req256.der" -respout "$O/good-sha256.der" -ndays $DAYS -resp_key_id >/dev/null 2>&1
openssl ocsp -index "$tmp/index.txt" -CA "$P/int.pem" -rsigner "$P/ocsp.pem" -rkey "$P/ocsp.key" -reqin "$tmp/req.der" -respout "$O/delegated.der" -ndays $DAYS >/dev/null 2>&1
printf 'R\t400101000000Z\t240101000000Z,keyCompromise\t10\tunknown\t/CN=localhost\n' > "$tmp/index.txt"
openssl ocsp -index "$tmp/index.txt" -CA "$P/int.pem" -rsigner "$P/int.pem" -rkey "$P/int.key" -reqin "$tmp/req.der" -respout "$O/revoked.der" -ndays $DAYS >/dev/null 2>&1
printf 'V\t400101000000Z\t\t99\tunknown\t/CN=other\n' > "$tmp/index.txt"
openssl ocsp -index "$tmp/index.txt" -CA "$P/int.pem" -rsigner "$P/int.pem" -rkey "$P/int.key" -reqin "$tmp/req.der" -respout "$O/unknown.der" -ndays $DAYS >/dev/null 2>&1
openssl ocsp -index "$tmp/index.txt" -CA "$P/int.pem" -rsigner "$P/int.pem" -rkey "$P/int.key" -reqin "$tmp/req.der" -respout "$O/nonextupdate.der" >/dev/null 2>&1 || true

# Certificates with more structure for the parser corpora (all DER).
for f in ca int server-ec server-rsa server-ed25519 server-p384 client-ec ocsp; do openssl x509 -in "$P/$f.pem" -outform DER -out "$X/$f.der"; done
self() { # name section keyargs...
  local name=$1 sect=$2; shift 2
  openssl req -new -x509 -subj "/C=XX/ST=Fuzz/L=Test/O=puretls fuzz/OU=x509/CN=$name" -days $DAYS -extensions "$sect" -config "$tmp/ext.cnf" "$@" -outform DER -out "$X/$name.der" 2>/dev/null
}
self nc-ca nc -key "$P/ca.key"
self policy-ca policy -key "$P/ca.key"
self many-san manysan -key "$P/server-ec.key"
self unknown-critical unknowncrit -key "$P/server-ec.key"
self rsa-pss manysan -key "$P/server-rsa.key" -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sha256
self p384-sha384 server -key "$P/server-p384.key" -sha384
self ed25519-self server -key "$P/server-ed25519.key"
openssl req -new -key "$P/server-ec.key" -subj "/CN=v1 cert" -out "$tmp/v1.csr"
openssl x509 -req -in "$tmp/v1.csr" -signkey "$P/server-ec.key" -days $DAYS -outform DER -out "$X/v1.der" 2>/dev/null
openssl req -new -x509 -key "$P/server-ec.key" -subj "/CN=utf8 \xc3\xa9\/O=bmp" -utf8 -days $DAYS -outform DER -out "$X/utf8-subject.der" -extensions server -config "$tmp/ext.cnf" 2>/dev/null || true
openssl req -new -x509 -key "$P/server-rsa.key" -subj "/CN=rsa sha512" -sha512 -days 20000 -outform DER -out "$X/rsa-sha512-2080.der" 2>/dev/null

# Keys in every format the key parsers read.
for k in server-ec server-rsa server-ed25519 server-p384; do
  openssl pkey -in "$P/$k.key" -outform DER -out "$K/$k.pkcs8.der"
  openssl pkey -in "$P/$k.key" -pubout -outform DER -out "$K/$k.spki.der"
  openssl pkey -in "$P/$k.key" -pubout -out "$K/$k.spki.pem"
  cp "$P/$k.key" "$K/$k.pkcs8.pem"
done
openssl ec -in "$P/server-ec.key" -out "$K/server-ec.sec1.pem" 2>/dev/null
openssl ec -in "$P/server-ec.key" -outform DER -out "$K/server-ec.sec1.der" 2>/dev/null
openssl ec -in "$P/server-p384.key" -out "$K/server-p384.sec1.pem" 2>/dev/null
openssl rsa -in "$P/server-rsa.key" -traditional -out "$K/server-rsa.pkcs1.pem" 2>/dev/null
openssl rsa -in "$P/server-rsa.key" -traditional -outform DER -out "$K/server-rsa.pkcs1.der" 2>/dev/null
openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:1024 -out "$K/rsa-pss.pkcs8.pem" 2>/dev/null
openssl pkey -in "$K/rsa-pss.pkcs8.pem" -pubout -outform DER -out "$K/rsa-pss.spki.der"
openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:1024 -pkeyopt rsa_pss_keygen_md:sha256 -pkeyopt rsa_pss_keygen_mgf1_md:sha256 -pkeyopt rsa_pss_keygen_saltlen:32 -out "$K/rsa-pss-params.pkcs8.pem" 2>/dev/null
openssl pkey -in "$K/rsa-pss-params.pkcs8.pem" -pubout -outform DER -out "$K/rsa-pss-params.spki.der"
openssl genpkey -algorithm X25519 -out "$K/x25519.pkcs8.pem"
openssl pkey -in "$K/x25519.pkcs8.pem" -pubout -outform DER -out "$K/x25519.spki.der"
openssl ecparam -name secp256k1 -genkey -noout -out "$K/secp256k1.sec1.pem"
openssl pkey -in "$K/secp256k1.sec1.pem" -pubout -outform DER -out "$K/secp256k1.spki.der"
openssl pkey -in "$P/server-ec.key" -pubout -outform DER -conv_form compressed -out "$K/server-ec-compressed.spki.der" 2>/dev/null || openssl ec -in "$P/server-ec.key" -pubout -conv_form compressed -outform DER -out "$K/server-ec-compressed.spki.der" 2>/dev/null
openssl pkcs8 -topk8 -in "$P/server-ec.key" -passout pass:fuzz -out "$K/server-ec.encrypted.pem" 2>/dev/null
cat "$P/server-ec.pem" "$P/int.pem" > "$K/chain-bundle.pem"
echo "done: $(ls "$P" "$X" "$K" "$O" | wc -l) files"
