# ca.sh — a throwaway test CA made with the openssl command at test time.
# ca_make DIR: DIR/ca.pem (+ ca.key), DIR/server.pem/.key for 127.0.0.1 and
# localhost, DIR/client.pem (RSA key + certificate, for certificate
# credentials), DIR/client.crt.
# ca_cert DIR NAME SAN [DAYS] [CA_PREFIX]: another leaf, DIR/NAME.pem/.key
# The CA and server keys are on P-256 (CA_KEY=rsa for RSA 2048): some 20 times
# faster to make than RSA, which the suite's ~60 CAs feel; client keys stay
# RSA (certificate credentials sign RS256/PS256 assertions with them).

ca_newkey() {
	if [ "${CA_KEY:-ec}" = ec ]; then
		echo "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
	else
		echo "-newkey rsa:2048"
	fi
}

ca_make() {
	local d=$1
	mkdir -p "$d"
	# shellcheck disable=SC2046
	openssl req -x509 $(ca_newkey) -nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 2 \
		-subj "/CN=kvpe test CA $$" -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null || return 1
	ca_cert "$d" server "IP:127.0.0.1,DNS:localhost" || return 1
	openssl req -newkey rsa:2048 -nodes -keyout "$d/client.key" -out "$d/client.csr" -subj "/CN=kvpe-test-client" \
		2>/dev/null || return 1
	openssl x509 -req -in "$d/client.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
		-out "$d/client.crt" 2>/dev/null || return 1
	cat "$d/client.key" "$d/client.crt" >"$d/client.pem"
	chmod 600 "$d/client.pem" "$d/client.key"
}

ca_cert() {
	local d=$1 name=$2 san=$3 days=${4:-2} ca=${5:-ca}
	# shellcheck disable=SC2046
	openssl req $(ca_newkey) -nodes -keyout "$d/$name.key" -out "$d/$name.csr" -subj "/CN=${san#*:}" \
		2>/dev/null || return 1
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$san" >"$d/$name.ext"
	openssl x509 -req -in "$d/$name.csr" -CA "$d/$ca.pem" -CAkey "$d/$ca.key" -CAcreateserial -days "$days" \
		-extfile "$d/$name.ext" -out "$d/$name.pem" 2>/dev/null || return 1
}

# ca_cert_dated DIR NAME SAN START END: a leaf valid only from START to END
# (YYYYMMDDHHMMSSZ), e.g. one that has already expired.  `openssl ca` is the
# only openssl 3.0 command that sets both dates.
ca_cert_dated() {
	local d=$1 name=$2 san=$3 start=$4 end=$5
	mkdir -p "$d/ca-db"
	: >"$d/ca-db/index.txt"
	[ -f "$d/ca-db/serial" ] || echo 1000 >"$d/ca-db/serial"
	cat >"$d/ca-db/ca.cnf" <<CNF
[ ca ]
default_ca = dated
[ dated ]
database = $d/ca-db/index.txt
new_certs_dir = $d/ca-db
serial = $d/ca-db/serial
default_md = sha256
policy = any
unique_subject = no
[ any ]
commonName = supplied
[ ext ]
subjectAltName = $san
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
CNF
	openssl req -newkey rsa:2048 -nodes -keyout "$d/$name.key" -out "$d/$name.csr" -subj "/CN=${san#*:}" \
		2>/dev/null || return 1
	openssl ca -batch -config "$d/ca-db/ca.cnf" -cert "$d/ca.pem" -keyfile "$d/ca.key" -in "$d/$name.csr" \
		-out "$d/$name.pem" -startdate "$start" -enddate "$end" -extensions ext -notext 2>/dev/null || return 1
}
