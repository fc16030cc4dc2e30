<?php
// Runs integrations/wordpress/winnow-akismet.php as WordPress would, against a running
// winnow: TestWordPressMuPlugin (akismet_test.go) runs it with php-cli and reads the
// one JSON line it prints.
//
// WordPress itself is not here: this file defines the few functions of WordPress's
// HTTP API that the mu-plugin and the Akismet plugin's Akismet::http_post use, the way
// WordPress defines them (wp_remote_post asks the pre_http_request filter before it
// sends anything), and sends what no filter answered over PHP's own HTTP stream. The
// Akismet plugin's calls are made as its http_post makes them: to
// http://rest.akismet.com/1.1/CALL with api_key in the form and a Host header naming
// Akismet (current versions), or to http://KEY.rest.akismet.com/1.1/CALL (older ones).
// Nothing may reach Akismet: a request to its host that the mu-plugin let through
// fails here.

define( 'ABSPATH', __DIR__ . '/' );
define( 'WINNOW_AKISMET_URL', getenv( 'WINNOW_URL' ) );

class WP_Error {
	public $code;
	public $message;
	public function __construct( $code = '', $message = '' ) {
		$this->code    = $code;
		$this->message = $message;
	}
	public function get_error_message() {
		return $this->message;
	}
}

$filters = array();
function add_filter( $hook, $callback, $priority = 10, $args = 1 ) {
	global $filters;
	$filters[ $hook ][] = array( $callback, $args );
}
function apply_filters( $hook, $value, ...$more ) {
	global $filters;
	foreach ( isset( $filters[ $hook ] ) ? $filters[ $hook ] : array() as $f ) {
		$value = call_user_func_array( $f[0], array_slice( array_merge( array( $value ), $more ), 0, $f[1] ) );
	}
	return $value;
}
function is_wp_error( $thing ) {
	return $thing instanceof WP_Error;
}
function wp_parse_url( $url ) {
	return parse_url( $url );
}
function wp_json_encode( $data ) {
	return json_encode( $data );
}
function wp_remote_retrieve_body( $response ) {
	return is_array( $response ) && isset( $response['body'] ) ? $response['body'] : '';
}
function wp_remote_retrieve_header( $response, $name ) {
	$h = is_array( $response ) && isset( $response['headers'] ) ? $response['headers'] : array();
	$name = strtolower( $name );
	return isset( $h[ $name ] ) ? $h[ $name ] : '';
}
function wp_remote_post( $url, $args = array() ) {
	$args['method'] = 'POST';
	return wp_remote_request( $url, $args );
}
function wp_remote_request( $url, $args = array() ) {
	$pre = apply_filters( 'pre_http_request', false, $args, $url );
	if ( false !== $pre ) {
		return $pre;
	}
	$host = strtolower( (string) parse_url( $url, PHP_URL_HOST ) );
	if ( 'rest.akismet.com' === $host || '.rest.akismet.com' === substr( $host, -17 ) ) {
		return new WP_Error( 'http_request_failed', 'a request left for Akismet: ' . $url );
	}
	$body    = isset( $args['body'] ) ? $args['body'] : '';
	$body    = is_array( $body ) ? http_build_query( $body ) : (string) $body;
	$headers = array( 'Content-Type: application/x-www-form-urlencoded' );
	foreach ( isset( $args['headers'] ) ? $args['headers'] : array() as $k => $v ) {
		if ( 'content-type' !== strtolower( $k ) ) {
			$headers[] = "$k: $v";
		}
	}
	$ctx  = stream_context_create( array( 'http' => array(
		'method'        => isset( $args['method'] ) ? $args['method'] : 'GET',
		'header'        => implode( "\r\n", $headers ),
		'content'       => $body,
		'ignore_errors' => true,
		'timeout'       => 15,
	) ) );
	$text = @file_get_contents( $url, false, $ctx );
	if ( false === $text ) {
		return new WP_Error( 'http_request_failed', 'no answer from ' . $url );
	}
	$out  = array( 'headers' => array(), 'body' => $text, 'response' => array( 'code' => 0, 'message' => '' ) );
	foreach ( $http_response_header as $i => $line ) {
		if ( 0 === $i ) {
			$out['response']['code'] = (int) explode( ' ', $line )[1];
			continue;
		}
		$kv = explode( ':', $line, 2 );
		if ( 2 === count( $kv ) ) {
			$out['headers'][ strtolower( trim( $kv[0] ) ) ] = trim( $kv[1] );
		}
	}
	return $out;
}

require getenv( 'MU_PLUGIN' );

// akismet_call is Akismet::http_post: the form, to Akismet's host, the key in the form
// (current versions) or in the host (older ones).
function akismet_call( $path, $fields, $key, $in_host ) {
	$host = $in_host ? "$key.rest.akismet.com" : 'rest.akismet.com';
	if ( ! $in_host ) {
		$fields['api_key'] = $key;
	}
	$r = wp_remote_post( "http://$host/1.1/$path", array(
		'body'        => http_build_query( $fields ),
		'headers'     => array(
			'Content-Type' => 'application/x-www-form-urlencoded; charset=UTF-8',
			'Host'         => $host,
			'User-Agent'   => 'WordPress/6.8 | Akismet/5.4',
		),
		'httpversion' => '1.0',
		'timeout'     => 15,
	) );
	if ( is_wp_error( $r ) ) {
		return array( 'error' => $r->get_error_message() );
	}
	return array(
		'code'     => $r['response']['code'],
		'body'     => $r['body'],
		'pro_tip'  => wp_remote_retrieve_header( $r, 'x-akismet-pro-tip' ),
		'guid'     => wp_remote_retrieve_header( $r, 'x-akismet-guid' ),
	);
}

$key     = getenv( 'AKISMET_KEY' );
$blog    = getenv( 'AKISMET_BLOG' );
$comment = array(
	'blog'                 => $blog,
	'user_ip'              => '203.0.113.7',
	'user_agent'           => 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
	'referrer'             => $blog,
	'permalink'            => $blog . '2024/06/a-post/',
	'comment_type'         => 'comment',
	'comment_author'       => 'Bea Reader',
	'comment_author_email' => 'bea@example.org',
	'comment_content'      => 'I tried the second method and it worked on my laptop as well.',
	'blog_lang'            => 'en_US',
	'blog_charset'         => 'UTF-8',
);
$spam = array_merge( $comment, array( 'comment_author' => 'viagra-test-123', 'comment_content' => 'Best prices, follow the link' ) );

$out = array(
	'verify'       => akismet_call( 'verify-key', array( 'key' => $key, 'blog' => $blog ), $key, false ),
	'ham'          => akismet_call( 'comment-check', $comment, $key, false ),
	'spamInHost'   => akismet_call( 'comment-check', $spam, $key, true ),
	'submitSpam'   => akismet_call( 'submit-spam', $spam, $key, false ),
	'subscription' => akismet_call( 'get-subscription', array( 'key' => $key, 'blog' => $blog ), $key, false ),
	'stats'        => akismet_call( 'get-stats', array( 'blog' => $blog ), $key, false ),
	'wrongKey'     => akismet_call( 'comment-check', $comment, '0123456789ab', true ),
);
// A request to anything else is none of the mu-plugin's business.
$out['untouched'] = apply_filters( 'pre_http_request', false, array(), 'https://api.wordpress.org/core/version-check/1.7/' );
echo json_encode( $out ), "\n";
